import { Field, InputType, Int } from 'type-graphql';
import { ScheduleRuleError, type ScheduleRequest } from '../domain/schedule-rules.js';
import { ValidationError } from '../errors/app-errors.js';
import { ScheduleFrequency } from './enums.js';

@InputType({ description: 'When a dataflow runs. The Platform’s rules apply: ONCE takes no interval and no backfill; MINUTE needs interval ≥ 15, the others ≥ 1.' })
export class ScheduleInput {
  @Field(() => ScheduleFrequency, { description: 'The unit of the interval (ONCE: a single run).' }) frequency!: ScheduleFrequency;
  @Field(() => Int, { nullable: true, description: 'Frequency units between runs; omit for ONCE.' }) interval?: number | null;
  @Field(() => Date, { nullable: true, description: 'First run; default 60 s from now on create, unchanged on update. At most 60 s in the past.' }) startTime?: Date | null;
  @Field(() => Boolean, { nullable: true, description: 'Whether the first run reads history (Platform default: true); omit for ONCE.' }) backfill?: boolean | null;
}

/** The schedule as the domain rules take it. */
export function scheduleRequest(input: ScheduleInput): ScheduleRequest {
  return { frequency: input.frequency, interval: input.interval, startTime: input.startTime, backfill: input.backfill };
}

/** Runs a schedule check, turning a broken rule into the API's field error. */
export function scheduleRule<S>(check: () => S): S {
  try {
    return check();
  } catch (error) {
    if (error instanceof ScheduleRuleError) throw new ValidationError(error.field, error.reason);
    throw error;
  }
}

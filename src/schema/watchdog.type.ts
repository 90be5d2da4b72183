import { Field, ID, Int, ObjectType } from 'type-graphql';
import { AlertChange, AlertSeverity, AlertStatus, HealthReasonCode, HealthStatus, ProblemStatus } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType({ simpleResolvers: true, description: 'One finding behind a dataflow’s health.' })
export class HealthReason {
  @Field(() => HealthReasonCode, { description: 'What was found.' }) code!: HealthReasonCode;
  @Field(() => String, { description: 'The finding in words, with its numbers and times.' }) message!: string;
}

@ObjectType({ simpleResolvers: true, description: 'Whether a dataflow’s ingestion works, as the watchdog last evaluated it (every WATCHDOG_INTERVAL_SECONDS).' })
export class DataflowHealth {
  @Field(() => HealthStatus, { description: 'The most important finding wins: DRIFTED, PAUSED, FAILING, LATE, SILENT, else HEALTHY.' }) status!: HealthStatus;
  @Field(() => Date, { description: 'When the dataflow entered this status.' }) since!: Date;
  @Field(() => Date, { nullable: true, description: 'When the next run should start; null when none is expected (paused, or a ONCE dataflow that ran).' }) expectedNextRunAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Start of the newest synced run, finished or not.' }) lastRunAt!: Date | null;
  @Field(() => Int, { description: 'Finished runs that failed in a row, newest first (counted within the last 50 runs).' }) consecutiveFailures!: number;
  @Field(() => Int, { description: 'Successful runs in a row that read 0 records (counted within the last 50 runs).' }) consecutiveEmptyRuns!: number;
  @Field(() => Boolean, { description: 'True where 0 records can be normal (refunds, prices, subscriptions): SILENT is then reported apart, as INFO.' }) emptyRunsMayBeNormal!: boolean;
  @Field(() => [HealthReason], { description: 'Every finding, most important first; empty when HEALTHY.' }) reasons!: HealthReason[];
  @Field(() => Date, { description: 'When the watchdog last found something different (it writes only changes).' }) updatedAt!: Date;
}

@ObjectType({
  simpleResolvers: true,
  description: 'One problem episode of a dataflow: opened when its health became LATE, FAILING, SILENT or DRIFTED, resolved when it is healthy (or paused, or deleted) again.',
})
export class Alert {
  @Field(() => ID, { description: 'The alert’s id.' }) id!: string;
  @Field(() => ID, { description: 'The dataflow it is about.' }) dataflowId!: string;
  @Field(() => AlertStatus, { description: 'OPEN or RESOLVED.' }) status!: AlertStatus;
  @Field(() => ProblemStatus, { description: 'The problem, as of the latest change.' }) health!: ProblemStatus;
  @Field(() => AlertSeverity, { description: 'How urgent the problem is.' }) severity!: AlertSeverity;
  @Field(() => [HealthReason], { description: 'The findings of the latest change (opening or update).' }) reasons!: HealthReason[];
  @Field(() => Int, { description: 'How many times the problem changed while the alert was open.' }) updates!: number;
  @Field(() => String, { description: 'The sandbox of the dataflow.' }) sandbox!: string;
  @Field(() => Date, { description: 'When it was opened.' }) openedAt!: Date;
  @Field(() => Date, { description: 'When it last changed.' }) updatedAt!: Date;
  @Field(() => Date, { nullable: true, description: 'When it was resolved; null while open.' }) resolvedAt!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'An alert that was opened, updated or resolved.' })
export class AlertRaised {
  @Field(() => AlertChange, { description: 'What happened to it.' }) change!: AlertChange;
  @Field(() => Alert, { description: 'The alert as the change left it.' }) alert!: Alert;
}

export const AlertPage = PageOf(Alert, 'Alert');

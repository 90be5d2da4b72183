import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { FlowRunStatus } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType()
export class FlowRunError {
  @Field(() => String) code!: string;
  @Field(() => String) message!: string;
  @Field(() => Int, { nullable: true }) recordCount!: number | null;
}

/** One run of a dataflow, as last synced from the Platform. */
@ObjectType({ implements: Node })
export class FlowRun {
  @Field(() => ID) id!: string;
  @Field(() => String) platformId!: string;
  @Field(() => ID) dataflowId!: string;
  @Field(() => FlowRunStatus) status!: FlowRunStatus;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) completedAt!: Date | null;
  @Field(() => Int, { nullable: true }) durationMs!: number | null;
  @Field(() => Int) recordsRead!: number;
  @Field(() => Int) recordsWritten!: number;
  @Field(() => Int) recordsFailed!: number;
  @Field(() => Float) inputBytes!: number;
  @Field(() => Float) outputBytes!: number;
  @Field(() => [FlowRunError]) errors!: FlowRunError[];
}

export const FlowRunPage = PageOf(FlowRun, 'FlowRun');

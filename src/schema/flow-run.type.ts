import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { FlowRunStatus } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType({ simpleResolvers: true, description: 'Records of a run that failed the same way.' })
export class FlowRunError {
  @Field(() => String, { description: 'The Platform’s error code, e.g. MAPPER-3700-400.' }) code!: string;
  @Field(() => String, { description: 'What went wrong, as the Platform says it.' }) message!: string;
  @Field(() => Int, { description: 'How many records failed this way, when known.', nullable: true }) recordCount!: number | null;
}

/** One run of a dataflow, as last synced from the Platform. */
@ObjectType({ simpleResolvers: true, description: 'One run of a dataflow, as last synced from the Platform.', implements: Node })
export class FlowRun {
  @Field(() => ID, { description: 'Flowgate id of the run (a UUID).' }) id!: string;
  @Field(() => String, { description: 'Adobe’s id of the run.' }) platformId!: string;
  @Field(() => ID, { description: 'Flowgate id of the dataflow that ran.' }) dataflowId!: string;
  @Field(() => FlowRunStatus, { description: 'How the run went.' }) status!: FlowRunStatus;
  @Field(() => Date, { description: 'When the run started.', nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { description: 'When the run ended; null while it runs.', nullable: true }) completedAt!: Date | null;
  @Field(() => Int, { description: 'How long it ran, in milliseconds; null while it runs.', nullable: true }) durationMs!: number | null;
  @Field(() => Int, { description: 'Records read from Stripe.' }) recordsRead!: number;
  @Field(() => Int, { description: 'Records written to the dataset.' }) recordsWritten!: number;
  @Field(() => Int, { description: 'Records that could not be written.' }) recordsFailed!: number;
  @Field(() => Float, { description: 'Bytes read from Stripe.' }) inputBytes!: number;
  @Field(() => Float, { description: 'Bytes written to the dataset.' }) outputBytes!: number;
  @Field(() => [FlowRunError], { description: 'Why records failed, grouped by error code.' }) errors!: FlowRunError[];
}

export const FlowRunPage = PageOf(FlowRun, 'FlowRun');

import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ErrorCode, OperationStatus, OperationType, ResourceType } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType({ simpleResolvers: true, description: 'Why an operation failed or is retrying.' })
export class OperationError {
  @Field(() => ErrorCode, { description: 'Flowgate error code, e.g. PLATFORM_REJECTED, CONFLICT, PLATFORM_UNAVAILABLE.' }) code!: ErrorCode;
  @Field(() => String, { description: 'What went wrong, safe to show (never secrets).' }) message!: string;
  @Field(() => String, { nullable: true, description: 'The input field at fault, when known.' }) field!: string | null;
  @Field(() => Int, { nullable: true, description: 'HTTP status the Platform answered.' }) platformStatus!: number | null;
  @Field(() => String, { nullable: true, description: "The Platform's own error code, e.g. 1404-412." }) platformCode!: string | null;
  @Field(() => Boolean, { description: 'Whether trying again may succeed.' }) retryable!: boolean;
}

/** A requested change, carried out asynchronously by a worker. */
@ObjectType({ simpleResolvers: true, description: 'A requested change, carried out asynchronously by a worker.', implements: Node })
export class Operation {
  @Field(() => ID, { description: 'The operation’s id (a UUID).' }) id!: string;
  @Field(() => OperationType, { description: 'What it does.' }) type!: OperationType;
  @Field(() => OperationStatus, { description: 'Where the operation is.' }) status!: OperationStatus;
  @Field(() => Int, { description: 'How many times a worker has started it.' }) attempts!: number;
  @Field(() => Float, { description: '0..1' }) progress!: number;
  @Field(() => String, { description: 'What the worker last reported, e.g. `dataflow enabled`.', nullable: true }) message!: string | null;
  @Field(() => ResourceType, { description: 'The kind of resource it acts on.' }) resourceType!: ResourceType;
  @Field(() => ID, { description: 'Flowgate id of the resource it acts on (known at once, before the Platform has it).' }) resourceId!: string;
  @Field(() => OperationError, { description: 'Why it failed or is retrying; null otherwise.', nullable: true }) error!: OperationError | null;
  @Field(() => String, { description: 'Who asked for it (`apikey:<name>` or `jwt:<sub>`).' }) requestedBy!: string;
  @Field(() => Date, { description: 'When it was requested.' }) createdAt!: Date;
  @Field(() => Date, { description: 'When it last changed (a running operation renews it as a heartbeat).' }) updatedAt!: Date;
  @Field(() => Date, { description: 'When it reached a final status.', nullable: true }) finishedAt!: Date | null;

  sandbox!: string;
}

export const OperationPage = PageOf(Operation, 'Operation');

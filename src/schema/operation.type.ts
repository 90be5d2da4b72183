import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ErrorCode, OperationStatus, OperationType, ResourceType } from './enums.js';
import { PageOf } from './page.type.js';

@ObjectType({ description: 'Why an operation failed or is retrying.' })
export class OperationError {
  @Field(() => ErrorCode, { description: 'Flowgate error code, e.g. PLATFORM_REJECTED, CONFLICT, PLATFORM_UNAVAILABLE.' }) code!: ErrorCode;
  @Field(() => String) message!: string;
  @Field(() => String, { nullable: true, description: 'The input field at fault, when known.' }) field!: string | null;
  @Field(() => Int, { nullable: true, description: 'HTTP status the Platform answered.' }) platformStatus!: number | null;
  @Field(() => String, { nullable: true, description: "The Platform's own error code, e.g. 1404-412." }) platformCode!: string | null;
  @Field(() => Boolean) retryable!: boolean;
}

/** A requested change, carried out asynchronously by a worker. */
@ObjectType({ implements: Node })
export class Operation {
  @Field(() => ID) id!: string;
  @Field(() => OperationType) type!: OperationType;
  @Field(() => OperationStatus) status!: OperationStatus;
  @Field(() => Int, { description: 'How many times a worker has started it.' }) attempts!: number;
  @Field(() => Float, { description: '0..1' }) progress!: number;
  @Field(() => String, { nullable: true }) message!: string | null;
  @Field(() => ResourceType) resourceType!: ResourceType;
  @Field(() => ID) resourceId!: string;
  @Field(() => OperationError, { nullable: true }) error!: OperationError | null;
  @Field(() => String) requestedBy!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;

  sandbox!: string;
}

export const OperationPage = PageOf(Operation, 'Operation');

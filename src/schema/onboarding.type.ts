import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { OnboardingStatus, OnboardingStepKind, ResourceType, StepStatus, StripeResource } from './enums.js';
import { OperationError } from './operation.type.js';
import { PageOf } from './page.type.js';
import { Schedule } from './resource-types.js';

export { OnboardingStatus, OnboardingStepKind, StepStatus } from './enums.js';

@ObjectType({ description: 'One step of an onboarding, as recorded in its ledger.' })
export class OnboardingStep {
  @Field(() => String, { description: 'Unique within the onboarding, e.g. "charges:dataset".' }) key!: string;
  @Field(() => OnboardingStepKind) kind!: OnboardingStepKind;
  @Field(() => StripeResource, { nullable: true, description: 'The Stripe resource the step is for (null for the connection steps).' }) resource!: StripeResource | null;
  @Field(() => StepStatus) status!: StepStatus;
  @Field(() => Int) attempts!: number;
  @Field(() => [String], { description: 'Keys of the steps this one waits for.' }) dependsOn!: string[];
  @Field(() => String, { nullable: true, description: 'For an undo step: the key of the step it undoes.' }) undoes!: string | null;
  @Field(() => Date, { nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;
  @Field(() => ResourceType, { nullable: true }) resourceType!: ResourceType | null;
  @Field(() => ID, { nullable: true, description: 'The Flowgate resource the step creates (or removes).' }) resourceId!: string | null;
  @Field(() => String, { nullable: true }) platformId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The core operation carrying the step out (null for connection test and explore).' }) operationId!: string | null;
  @Field(() => OperationError, { nullable: true }) error!: OperationError | null;
}

@ObjectType({ description: 'A resource a rollback could not remove from the Platform.' })
export class LeftBehindResource {
  @Field(() => ResourceType) resourceType!: ResourceType;
  @Field(() => ID) resourceId!: string;
  @Field(() => String, { nullable: true }) platformId!: string | null;
  @Field(() => String) reason!: string;
}

/** A one-call Stripe onboarding: every resource, for several Stripe resources, as one resumable saga. */
@ObjectType({ implements: Node })
export class Onboarding {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
  @Field(() => String, { nullable: true }) description!: string | null;
  @Field(() => OnboardingStatus) status!: OnboardingStatus;
  @Field(() => Float, { description: 'Weighted share of finished steps, 0..1.' }) progress!: number;
  @Field(() => String, { nullable: true, description: 'A step in progress, if any.' }) currentStep!: string | null;
  @Field(() => [StripeResource]) resources!: StripeResource[];
  @Field(() => Schedule, { description: 'The schedule of every dataflow it creates (startTime is set when the flows are created, if it was omitted).' }) schedule!: Schedule;
  @Field(() => Boolean) rollbackOnFailure!: boolean;
  @Field(() => [OnboardingStep]) steps!: OnboardingStep[];
  @Field(() => OperationError, { nullable: true }) error!: OperationError | null;
  @Field(() => [LeftBehindResource], { description: 'What a rollback could not remove.' }) leftBehind!: LeftBehindResource[];
  @Field(() => String) requestedBy!: string;
  @Field(() => Date) createdAt!: Date;
  @Field(() => Date) updatedAt!: Date;
  @Field(() => Date, { nullable: true }) finishedAt!: Date | null;

  connectionId!: string;
  sandbox!: string;
}

export const OnboardingPage = PageOf(Onboarding, 'Onboarding');

@ObjectType({ description: 'A Platform call a planned step makes.' })
export class PlannedCall {
  @Field(() => String) method!: string;
  @Field(() => String, { description: 'Path on the Platform, e.g. /data/foundation/flowservice/connections.' }) path!: string;
  @Field(() => String) purpose!: string;
}

@ObjectType({ description: 'A step of a planned onboarding: what it creates, under which names, and the calls it makes.' })
export class PlannedStep {
  @Field(() => String) key!: string;
  @Field(() => OnboardingStepKind) kind!: OnboardingStepKind;
  @Field(() => StripeResource, { nullable: true }) resource!: StripeResource | null;
  @Field(() => [String]) dependsOn!: string[];
  @Field(() => ResourceType, { nullable: true }) resourceType!: ResourceType | null;
  @Field(() => String, { nullable: true, description: 'Flowgate name of the resource it creates.' }) name!: string | null;
  @Field(() => String, { nullable: true, description: 'Name on the Platform (with the tag that makes retries find it).' }) platformName!: string | null;
  @Field(() => [PlannedCall]) calls!: PlannedCall[];
  @Field(() => String, { nullable: true, description: 'How its content is derived, for schemas and mappings.' }) derivation!: string | null;
}

@ObjectType({ description: 'What onboardStripe would do with this input. Nothing is written anywhere to produce it.' })
export class OnboardingPlan {
  @Field(() => [PlannedStep]) steps!: PlannedStep[];
  @Field(() => Int) totalCalls!: number;
  @Field(() => Int, { description: 'Calls on the longest chain of dependent steps: the least time the onboarding can take, in round trips.' }) criticalPathCalls!: number;
  @Field(() => [String], { description: 'What the plan checked and what it could not know in advance.' }) notes!: string[];
}

import { Node } from './node.type.js';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { OnboardingStatus, OnboardingStepKind, ResourceType, StepStatus, StripeResource } from './enums.js';
import { OperationError } from './operation.type.js';
import { PageOf } from './page.type.js';
import { Schedule } from './resource-types.js';

export { OnboardingStatus, OnboardingStepKind, StepStatus } from './enums.js';

@ObjectType({ simpleResolvers: true, description: 'One step of an onboarding, as recorded in its ledger.' })
export class OnboardingStep {
  @Field(() => String, { description: 'Unique within the onboarding, e.g. "charges:dataset".' }) key!: string;
  @Field(() => OnboardingStepKind, { description: 'What the step does.' }) kind!: OnboardingStepKind;
  @Field(() => StripeResource, { nullable: true, description: 'The Stripe resource the step is for (null for the connection steps).' }) resource!: StripeResource | null;
  @Field(() => StepStatus, { description: 'Where the step is.' }) status!: StepStatus;
  @Field(() => Int, { description: 'How many times it was started.' }) attempts!: number;
  @Field(() => [String], { description: 'Keys of the steps this one waits for.' }) dependsOn!: string[];
  @Field(() => String, { nullable: true, description: 'For an undo step: the key of the step it undoes.' }) undoes!: string | null;
  @Field(() => Date, { description: 'When it last started.', nullable: true }) startedAt!: Date | null;
  @Field(() => Date, { description: 'When it finished.', nullable: true }) finishedAt!: Date | null;
  @Field(() => ResourceType, { description: 'The kind of resource it creates or removes.', nullable: true }) resourceType!: ResourceType | null;
  @Field(() => ID, { nullable: true, description: 'The Flowgate resource the step creates (or removes).' }) resourceId!: string | null;
  @Field(() => String, { description: 'Adobe’s id of what it created.', nullable: true }) platformId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The core operation carrying the step out (null for connection test and explore).' }) operationId!: string | null;
  @Field(() => OperationError, { description: 'Why it failed, if it did.', nullable: true }) error!: OperationError | null;
}

@ObjectType({ simpleResolvers: true, description: 'A resource a rollback could not remove from the Platform.' })
export class LeftBehindResource {
  @Field(() => ResourceType, { description: 'What kind of resource stays.' }) resourceType!: ResourceType;
  @Field(() => ID, { description: 'Flowgate id of the resource that stays.' }) resourceId!: string;
  @Field(() => String, { description: 'Adobe’s id of what stays, when it has one.', nullable: true }) platformId!: string | null;
  @Field(() => String, { description: 'Why it could not be removed.' }) reason!: string;
}

/** A one-call Stripe onboarding: every resource, for several Stripe resources, as one resumable saga. */
@ObjectType({ simpleResolvers: true, description: 'A one-call Stripe onboarding: every resource, for several Stripe resources, as one resumable saga.', implements: Node })
export class Onboarding {
  @Field(() => ID, { description: 'The onboarding’s id (a UUID).' }) id!: string;
  @Field(() => String, { description: 'The name every resource it creates is named after.' }) name!: string;
  @Field(() => String, { description: 'Free text given with the request.', nullable: true }) description!: string | null;
  @Field(() => OnboardingStatus, { description: 'Where the onboarding is.' }) status!: OnboardingStatus;
  @Field(() => Float, { description: 'Weighted share of finished steps, 0..1.' }) progress!: number;
  @Field(() => String, { nullable: true, description: 'A step in progress, if any.' }) currentStep!: string | null;
  @Field(() => [StripeResource], { description: 'The Stripe resources it brings in.' }) resources!: StripeResource[];
  @Field(() => Schedule, { description: 'The schedule of every dataflow it creates (startTime is set when the flows are created, if it was omitted).' }) schedule!: Schedule;
  @Field(() => Boolean, { description: 'Whether a final failure removes what it created.' }) rollbackOnFailure!: boolean;
  @Field(() => [OnboardingStep], { description: 'Every step of its ledger, in plan order.' }) steps!: OnboardingStep[];
  @Field(() => OperationError, { description: 'Why it failed; null unless FAILED or ROLLED_BACK.', nullable: true }) error!: OperationError | null;
  @Field(() => [LeftBehindResource], { description: 'What a rollback could not remove.' }) leftBehind!: LeftBehindResource[];
  @Field(() => String, { description: 'Who asked for it (`apikey:<name>` or `jwt:<sub>`).' }) requestedBy!: string;
  @Field(() => Date, { description: 'When it was requested.' }) createdAt!: Date;
  @Field(() => Date, { description: 'When its ledger last changed.' }) updatedAt!: Date;
  @Field(() => Date, { description: 'When it reached a final status.', nullable: true }) finishedAt!: Date | null;
  @Field(() => Int, {
    description:
      'Grows with every recorded change of the onboarding or its steps: of two states, the one with the higher version is the newer (`onboardingProgress` never sends a lower one after a higher one).',
  })
  version!: number;

  connectionId!: string;
  sandbox!: string;
}

export const OnboardingPage = PageOf(Onboarding, 'Onboarding');

@ObjectType({ simpleResolvers: true, description: 'A Platform call a planned step makes.' })
export class PlannedCall {
  @Field(() => String, { description: 'HTTP method.' }) method!: string;
  @Field(() => String, { description: 'Path on the Platform, e.g. /data/foundation/flowservice/connections.' }) path!: string;
  @Field(() => String, { description: 'Why the step makes this call.' }) purpose!: string;
}

@ObjectType({ simpleResolvers: true, description: 'A step of a planned onboarding: what it creates, under which names, and the calls it makes.' })
export class PlannedStep {
  @Field(() => String, { description: 'Unique within the plan, e.g. "charges:dataset".' }) key!: string;
  @Field(() => OnboardingStepKind, { description: 'What the step does.' }) kind!: OnboardingStepKind;
  @Field(() => StripeResource, { description: 'The Stripe resource it is for (null for the connection steps).', nullable: true }) resource!: StripeResource | null;
  @Field(() => [String], { description: 'Keys of the steps it waits for.' }) dependsOn!: string[];
  @Field(() => ResourceType, { description: 'The kind of resource it creates.', nullable: true }) resourceType!: ResourceType | null;
  @Field(() => String, { nullable: true, description: 'Flowgate name of the resource it creates.' }) name!: string | null;
  @Field(() => String, { nullable: true, description: 'Name on the Platform (with the tag that makes retries find it).' }) platformName!: string | null;
  @Field(() => [PlannedCall], { description: 'The Platform calls it makes, in order.' }) calls!: PlannedCall[];
  @Field(() => String, { nullable: true, description: 'How its content is derived, for schemas and mappings.' }) derivation!: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'What onboardStripe would do with this input. Nothing is written anywhere to produce it.' })
export class OnboardingPlan {
  @Field(() => [PlannedStep], { description: 'Every step the onboarding would run, in plan order.' }) steps!: PlannedStep[];
  @Field(() => Int, { description: 'Platform calls in all.' }) totalCalls!: number;
  @Field(() => Int, { description: 'Calls on the longest chain of dependent steps: the least time the onboarding can take, in round trips.' }) criticalPathCalls!: number;
  @Field(() => [String], { description: 'What the plan checked and what it could not know in advance.' }) notes!: string[];
}

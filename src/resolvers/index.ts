import type { ClassType, NonEmptyArray } from 'type-graphql';
import { AlertResolver } from './alert.resolver.js';
import { ApiKeyResolver } from './api-key.resolver.js';
import { AuditEventResolver } from './audit-event.resolver.js';
import { ConnectionResolver } from './connection.resolver.js';
import { DataflowResolver } from './dataflow.resolver.js';
import { DatasetResolver } from './dataset.resolver.js';
import { ExploreResolver } from './explore.resolver.js';
import { FlowRunResolver } from './flow-run.resolver.js';
import { MappingResolver } from './mapping.resolver.js';
import { NodeResolver } from './node.resolver.js';
import { OnboardingResolver } from './onboarding.resolver.js';
import { OperationResolver } from './operation.resolver.js';
import { ResourceChangeResolver } from './resource-change.resolver.js';
import { SourceConnectionResolver } from './source-connection.resolver.js';
import { TargetConnectionResolver } from './target-connection.resolver.js';
import { WebhookResolver } from './webhook.resolver.js';
import { XdmSchemaResolver } from './xdm-schema.resolver.js';

/** Every resolver class of the API. */
export const RESOLVERS: NonEmptyArray<ClassType> = [
  OperationResolver,
  ConnectionResolver,
  AuditEventResolver,
  ResourceChangeResolver,
  SourceConnectionResolver,
  XdmSchemaResolver,
  DatasetResolver,
  ExploreResolver,
  TargetConnectionResolver,
  MappingResolver,
  DataflowResolver,
  FlowRunResolver,
  OnboardingResolver,
  ApiKeyResolver,
  NodeResolver,
  AlertResolver,
  WebhookResolver,
];

import type { NonEmptyArray } from 'type-graphql';
import { AuditEventResolver } from './audit-event.resolver.js';
import { ConnectionResolver } from './connection.resolver.js';
import { OperationResolver } from './operation.resolver.js';
import { ResourceChangeResolver } from './resource-change.resolver.js';

/** Every resolver class of the API. */
export const RESOLVERS: NonEmptyArray<Function> = [OperationResolver, ConnectionResolver, AuditEventResolver, ResourceChangeResolver];

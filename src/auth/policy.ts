import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getOperationAST,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLSchema,
  Kind,
  OperationTypeNode,
  type SelectionSetNode,
} from 'graphql';
import { ForbiddenError } from '../errors/app-errors.js';
import type { NodeKind } from '../store/node.store.js';
import type { Caller, Role } from './caller.js';

/** Who may call a root field, and optionally a narrower set when an argument has a value. */
export interface FieldPolicy {
  roles: readonly Role[];
  /** e.g. `deleteConnection(cascade: true)` is for admins only. */
  whenArgument?: { name: string; equals: unknown; roles: readonly Role[] };
}

const READ: readonly Role[] = ['viewer', 'operator', 'admin'];
const WRITE: readonly Role[] = ['operator', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
const EVERYONE: readonly Role[] = ['viewer', 'operator', 'admin', 'auditor'];

/**
 * Every root field of the API and the roles allowed to call it. Deny by default: a field
 * missing here is refused to everyone (a unit test checks the table covers the schema).
 * viewer: reads and subscriptions; operator: viewer + changes (and `explore`/`planOnboarding`,
 * which reach Stripe through the Platform); admin: operator + API keys and cascade deletes;
 * auditor: the audit trail and `whoami` only.
 */
export const POLICY: Readonly<Record<string, FieldPolicy>> = {
  // Queries
  'Query.whoami': { roles: EVERYONE },
  'Query.auditEvents': { roles: EVERYONE },
  'Query.verifyAuditChain': { roles: ['admin', 'auditor'] },
  'Query.apiKeys': { roles: ADMIN },
  'Query.connection': { roles: READ },
  'Query.connections': { roles: READ },
  'Query.sourceConnection': { roles: READ },
  'Query.sourceConnections': { roles: READ },
  'Query.xdmSchema': { roles: READ },
  'Query.xdmSchemas': { roles: READ },
  'Query.dataset': { roles: READ },
  'Query.datasets': { roles: READ },
  'Query.targetConnection': { roles: READ },
  'Query.targetConnections': { roles: READ },
  'Query.mapping': { roles: READ },
  'Query.mappings': { roles: READ },
  'Query.dataflow': { roles: READ },
  'Query.dataflows': { roles: READ },
  'Query.flowRun': { roles: READ },
  'Query.flowRuns': { roles: READ },
  'Query.operation': { roles: READ },
  'Query.operations': { roles: READ },
  'Query.onboarding': { roles: READ },
  'Query.onboardings': { roles: READ },
  'Query.explore': { roles: WRITE },
  'Query.planOnboarding': { roles: WRITE },
  // What node/nodes return is narrowed per object kind by NODE_READERS.
  'Query.node': { roles: EVERYONE },
  'Query.nodes': { roles: EVERYONE },
  'Query.alerts': { roles: READ },
  'Query.webhooks': { roles: ADMIN },
  'Query.webhookDeliveries': { roles: ADMIN },
  // Mutations
  'Mutation.createConnection': { roles: WRITE },
  'Mutation.updateConnection': { roles: WRITE },
  'Mutation.deleteConnection': { roles: WRITE, whenArgument: { name: 'cascade', equals: true, roles: ADMIN } },
  'Mutation.createSourceConnection': { roles: WRITE },
  'Mutation.createXdmSchema': { roles: WRITE },
  'Mutation.createDataset': { roles: WRITE },
  'Mutation.createTargetConnection': { roles: WRITE },
  'Mutation.createMapping': { roles: WRITE },
  'Mutation.createDataflow': { roles: WRITE },
  'Mutation.updateDataflow': { roles: WRITE },
  'Mutation.enableDataflow': { roles: WRITE },
  'Mutation.disableDataflow': { roles: WRITE },
  'Mutation.deleteDataflow': { roles: WRITE },
  'Mutation.retryOperation': { roles: WRITE },
  'Mutation.onboardStripe': { roles: WRITE },
  'Mutation.retryOnboarding': { roles: WRITE },
  'Mutation.cancelOnboarding': { roles: WRITE },
  'Mutation.createApiKey': { roles: ADMIN },
  'Mutation.revokeApiKey': { roles: ADMIN },
  'Mutation.createWebhook': { roles: ADMIN },
  'Mutation.updateWebhook': { roles: ADMIN },
  'Mutation.deleteWebhook': { roles: ADMIN },
  'Mutation.rotateWebhookSecret': { roles: ADMIN },
  'Mutation.testWebhook': { roles: ADMIN },
  // Subscriptions
  'Subscription.operationUpdated': { roles: READ },
  'Subscription.resourceChanged': { roles: READ },
  'Subscription.flowRunUpdated': { roles: READ },
  'Subscription.onboardingProgress': { roles: READ },
  'Subscription.alertRaised': { roles: READ },
};

/**
 * Who may read each kind of object through `node(id:)` / `nodes(ids:)`: the same roles as the
 * queries that list it, so the generic lookup opens nothing the specific queries keep closed.
 * For any other role the object is simply null, like another sandbox's.
 */
export const NODE_READERS: Readonly<Record<NodeKind, readonly Role[]>> = {
  resource: POLICY['Query.connection']!.roles,
  operation: POLICY['Query.operation']!.roles,
  onboarding: POLICY['Query.onboarding']!.roles,
  flowRun: POLICY['Query.flowRun']!.roles,
  auditEvent: POLICY['Query.auditEvents']!.roles,
  apiKey: POLICY['Query.apiKeys']!.roles,
};

/**
 * Checks every root field an operation selects (through fragments too) against POLICY.
 * Returns the first refusal as a ForbiddenError naming the roles needed, or null. Meta fields
 * (`__typename`, and introspection, which the server configures separately) are allowed.
 */
export function authorizeOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  caller: Caller,
): ForbiddenError | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) return null; // graphql-js reports it on execution
  const rootType =
    operation.operation === OperationTypeNode.QUERY ? schema.getQueryType() : operation.operation === OperationTypeNode.MUTATION ? schema.getMutationType() : schema.getSubscriptionType();
  if (!rootType) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);

  for (const { name, node } of rootFields(operation.selectionSet, fragments, new Set())) {
    if (name.startsWith('__')) continue;
    const key = `${rootType.name}.${name}`;
    const policy = POLICY[key];
    if (!policy) return new ForbiddenError(`${key} is not open to any role`, []);
    if (!policy.roles.includes(caller.role)) return new ForbiddenError(`${key} requires the role ${policy.roles.join(' or ')} (you are ${caller.role})`, policy.roles);
    const rule = policy.whenArgument;
    if (rule && !rule.roles.includes(caller.role)) {
      const value = argumentValue(rootType, name, node, variables, rule.name);
      // An argument that cannot be read here fails on its own later; refuse rather than guess.
      if (value === rule.equals || value === UNREADABLE) {
        return new ForbiddenError(`${key}(${rule.name}: ${JSON.stringify(rule.equals)}) requires the role ${rule.roles.join(' or ')} (you are ${caller.role})`, rule.roles);
      }
    }
  }
  return null;
}

/** The ForbiddenError as a GraphQLError that Apollo answers with HTTP 403. */
export function forbiddenGraphQLError(error: ForbiddenError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: { code: error.code, ...error.details(), http: { status: 403 } } });
}

type FieldNode = Extract<SelectionSetNode['selections'][number], { kind: Kind.FIELD }>;

function* rootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): Generator<{ name: string; node: FieldNode }> {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) yield { name: selection.name.value, node: selection };
    else if (selection.kind === Kind.INLINE_FRAGMENT) yield* rootFields(selection.selectionSet, fragments, seen);
    else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      yield* rootFields(fragment.selectionSet, fragments, seen);
    }
  }
}

const UNREADABLE = Symbol('unreadable argument');

/** The argument's value with defaults and variables applied, or UNREADABLE when it cannot be coerced. */
function argumentValue(rootType: GraphQLObjectType, fieldName: string, node: FieldNode, variables: Record<string, unknown> | null | undefined, argument: string): unknown {
  const field = rootType.getFields()[fieldName];
  if (!field) return UNREADABLE;
  try {
    return getArgumentValues(field, node, variables ?? {})[argument];
  } catch {
    return UNREADABLE;
  }
}

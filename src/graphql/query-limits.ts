import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type ArgumentNode,
  type DocumentNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type ValidationContext,
  type ValidationRule,
  visit,
} from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import type { GraphQLLimitsConfig } from '../config/config.js';
import { ValidationError } from '../errors/app-errors.js';
import { QueryLimitError, type QueryLimitName } from '../errors/limit-errors.js';

/** The limits a GraphQL document is checked against (see GraphQLLimitsConfig for the env vars). */
export type QueryLimits = Pick<GraphQLLimitsConfig, 'maxDepth' | 'maxAliases' | 'maxCost' | 'maxTokens'>;

/** What a list field costs when `first`/`last` is omitted (the resolvers' default page size). */
const DEFAULT_PAGE_SIZE = 20;
/** The resolvers refuse a larger `first`/`last` (a BAD_USER_INPUT naming it), so cost never counts more. */
const MAX_PAGE_SIZE = 100;
/** The arguments that size a page. */
const PAGE_ARGUMENTS = ['first', 'last'];
/** The arguments `pageEstimator` reads. */
const COST_ARGUMENTS = [...PAGE_ARGUMENTS, 'ids'];

/**
 * Cost of a field: 1, plus its selections; a field taking `first` costs that many times (1 +
 * its selections), and `nodes(ids:)` as many times as it names ids. `first` is clamped to 1..100 here so that an out-of-range value is refused
 * by the resolver with an error naming `first`, not by the cost limit.
 */
const pageEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.args.some((a) => a.name === 'ids') && Array.isArray(args.ids)) return Math.max(args.ids.length, 1) * (1 + childComplexity);
  if (!field.args.some((a) => a.name === 'first')) return undefined;
  const given: unknown = typeof args.first === 'number' ? args.first : args.last;
  const size = typeof given === 'number' && Number.isFinite(given) ? Math.min(Math.max(Math.trunc(given), 1), MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  return size * (1 + childComplexity);
};

const ESTIMATORS = [pageEstimator, simpleEstimator({ defaultComplexity: 1 })];

/** A validation error whose original error is the typed limit error (so formatError shows its code and details). */
function limitValidationError(error: QueryLimitError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error });
}

/** graphql-armor's rules report "… limit of N exceeded, found M."; we re-raise them as typed errors. */
function armorRejection(limit: QueryLimitName, max: number, what: string) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const found = /found (\d+)/.exec(error.message);
    context?.reportError(limitValidationError(new QueryLimitError(limit, max, found ? Number(found[1]) : null, what)));
  };
}

/**
 * A literal `first` outside 1..100 is refused while validating, naming `first` (graphql-js would
 * report an out-of-32-bit literal without naming the argument). Variables are checked by the resolvers.
 */
const pageArgumentRule: ValidationRule = (context) => ({
  Argument(node) {
    const name = node.name.value;
    if (!PAGE_ARGUMENTS.includes(name) || node.value.kind !== Kind.INT || !context.getFieldDef()?.args.some((a) => a.name === name)) return;
    const size = Number(node.value.value);
    if (size < 1 || size > MAX_PAGE_SIZE) {
      context.reportError(
        new GraphQLError(`${name}: must be an integer between 1 and ${MAX_PAGE_SIZE}`, {
          nodes: [node],
          originalError: new ValidationError(name, `must be an integer between 1 and ${MAX_PAGE_SIZE}`),
        }),
      );
    }
  },
});

/** Validation rules for depth, aliases and literal page sizes; add them to Apollo's `validationRules` and to the WebSocket validation. */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  return [
    pageArgumentRule,
    maxDepthRule({ n: limits.maxDepth, propagateOnRejection: false, onReject: [armorRejection('GRAPHQL_MAX_DEPTH', limits.maxDepth, 'Query depth')] }),
    maxAliasesRule({
      n: limits.maxAliases,
      allowList: [],
      propagateOnRejection: false,
      onReject: [armorRejection('GRAPHQL_MAX_ALIASES', limits.maxAliases, 'Number of aliases')],
    }),
  ];
}

/** Apollo's `parseOptions`: graphql-js stops parsing past `maxTokens` (formatError names the limit). */
export function queryParseOptions(limits: QueryLimits) {
  return { maxTokens: limits.maxTokens };
}

/** graphql-js's own message when a document has too many tokens. */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more th(?:an|at|en) (\d+) tokens/;

/** The typed error for graphql-js's token-limit syntax error, or null for any other message. */
export function tokenLimitError(message: string): QueryLimitError | null {
  const match = TOKEN_LIMIT_MESSAGE.exec(message);
  return match ? new QueryLimitError('GRAPHQL_MAX_TOKENS', Number(match[1]), null, 'Number of tokens in the document') : null;
}

/**
 * The estimated cost of an operation, or null when it cannot be computed because the
 * variables are invalid (execution then refuses them with BAD_USER_INPUT naming the field).
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined | null): number | null {
  try {
    return getComplexity({ schema, query: document, variables: variables ?? {}, operationName: operationName ?? undefined, estimators: ESTIMATORS });
  } catch (error) {
    // Too many nodes after expanding fragments: certainly too expensive.
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) return Number.POSITIVE_INFINITY;
    return null;
  }
}

/**
 * Costs already computed, per parsed document (Apollo reuses the DocumentNode of a query it has
 * seen) and per operation name + the values of the variables the cost can depend on, so a
 * mutation sent with new input every time is estimated once. Estimating walks the whole document
 * with type info (measured: 7 % of the gateway's CPU per createConnection when it ran on every
 * request). Bounded per document, so clients varying their page sizes cannot grow it without limit.
 */
const knownCosts = new WeakMap<DocumentNode, { costVariables: readonly string[]; costs: Map<string, number> }>();
const COSTS_PER_DOCUMENT = 64;

/**
 * The variables an estimate can depend on: those inside a `first`, `last` or `ids` argument (what
 * `pageEstimator` reads) and inside a directive (`@skip`/`@include` leave fields out). Every other
 * variable — a mutation's input, an id, a filter — changes no cost.
 */
function costVariablesOf(document: DocumentNode): string[] {
  const names = new Set<string>();
  /** How many counted arguments and directives enclose the node being visited. */
  let inside = 0;
  const counted = (node: ArgumentNode) => COST_ARGUMENTS.includes(node.name.value);
  visit(document, {
    Argument: { enter: (node) => void (counted(node) && inside++), leave: (node) => void (counted(node) && inside--) },
    Directive: { enter: () => void inside++, leave: () => void inside-- },
    Variable: (node) => void (inside > 0 && names.add(node.name.value)),
  });
  return [...names].sort();
}

/**
 * Throws QUERY_TOO_COMPLEX when an operation's estimated cost is over the limit. A cost known for
 * the same document, operation name and cost variables is reused when it is within the limit:
 * the full estimate would give the same number, or none at all when another variable is invalid
 * (execution then refuses it) — not refused here either way. A cost over the limit is always
 * estimated again, so invalid variables are refused by execution, naming the field, as before.
 */
export function assertCost(limits: QueryLimits, schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, operationName: string | undefined | null): void {
  let known = knownCosts.get(document);
  if (!known) knownCosts.set(document, (known = { costVariables: costVariablesOf(document), costs: new Map() }));
  const key = costKey(known.costVariables, variables, operationName);
  const cached = key === null ? undefined : known.costs.get(key);
  if (cached !== undefined && cached <= limits.maxCost) return;
  const cost = operationCost(schema, document, variables, operationName);
  if (key !== null && cost !== null) {
    if (known.costs.size >= COSTS_PER_DOCUMENT) known.costs.delete(known.costs.keys().next().value!);
    known.costs.set(key, cost);
  }
  if (cost !== null && cost > limits.maxCost) {
    throw new QueryLimitError('GRAPHQL_MAX_COST', limits.maxCost, Number.isFinite(cost) ? cost : null, 'Estimated query cost');
  }
}

/** The cache key of the operation name and the cost variables' values; null when they are too big or deep to key on. */
function costKey(costVariables: readonly string[], variables: Record<string, unknown> | undefined, operationName: string | undefined | null): string | null {
  const values: Record<string, unknown> = {};
  for (const name of costVariables) if (variables && Object.hasOwn(variables, name)) values[name] = variables[name];
  if (jsonDepthExceeds(values, 8)) return null;
  const json = JSON.stringify(values);
  return json.length <= 2048 ? `${operationName ?? ''}\u0000${json}` : null;
}

/** True when `value` nests objects or arrays more than `max` levels (checked without recursion). */
function jsonDepthExceeds(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  let visited = 0;
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max || ++visited > 256) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

/** Apollo plugin: the cost limit, checked once the operation and its variables are known (and subscriptions, which HTTP cannot serve, refused). */
export function queryCostPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName, operation }) {
          if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-ws) on this URL, not over HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400, headers: new Map() } },
            });
          }
          assertCost(limits, schema, document, request.variables, operationName);
        },
      };
    },
  };
}

/**
 * The whole check for a document arriving over WebSocket (graphql-ws does its own parse and
 * validate without our limits): parse with the token limit, validate with the standard rules
 * plus ours, check cost. Returns the document or the errors to send.
 */
export function checkDocument(
  schema: GraphQLSchema,
  limits: QueryLimits,
  extraRules: readonly ValidationRule[],
  payload: { query?: unknown; variables?: unknown; operationName?: unknown },
): { document: DocumentNode } | { errors: GraphQLError[] } {
  if (typeof payload.query !== 'string') return { errors: [new GraphQLError('query must be a string', { extensions: { code: 'BAD_REQUEST' } })] };
  let document: DocumentNode;
  try {
    document = parse(payload.query, queryParseOptions(limits));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const limit = tokenLimitError(message);
    return { errors: [limit ? limitValidationError(limit) : new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
  }
  const errors = validate(schema, document, [...specifiedRules, ...queryLimitRules(limits), ...extraRules]);
  if (errors.length > 0) return { errors: errors.map((e) => (e.originalError ? e : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }))) };
  try {
    const variables = payload.variables !== null && typeof payload.variables === 'object' ? (payload.variables as Record<string, unknown>) : undefined;
    assertCost(limits, schema, document, variables, typeof payload.operationName === 'string' ? payload.operationName : undefined);
  } catch (error) {
    if (error instanceof QueryLimitError) return { errors: [limitValidationError(error)] };
    throw error;
  }
  return { document };
}

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { mutateAndWait } from './support/prerequisites.js';
import { TestStack } from './support/stack.js';

/**
 * Bad input never hurts: every hostile or malformed request below is answered with the right
 * typed error (naming the field where there is one), never a 5xx, the process goes on serving,
 * and nothing is written — not in PostgreSQL, not on the Platform.
 */

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const CREATE_CONNECTION = 'mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }';
const UPDATE_CONNECTION = 'mutation($id: ID!, $input: UpdateConnectionInput!) { updateConnection(id: $id, input: $input) { id } }';
const ONBOARD = 'mutation($input: OnboardStripeInput!) { onboardStripe(input: $input) { id } }';
const CREATE_DATAFLOW = 'mutation($input: CreateDataflowInput!) { createDataflow(input: $input) { id } }';
const CREATE_SOURCE = 'mutation($input: CreateSourceConnectionInput!) { createSourceConnection(input: $input) { id } }';
const CREATE_XDM = 'mutation($input: CreateXdmSchemaInput!) { createXdmSchema(input: $input) { id } }';
const CREATE_MAPPING = 'mutation($input: CreateMappingInput!) { createMapping(input: $input) { id } }';
const CONNECTIONS = 'query($first: Int, $after: String) { connections(first: $first, after: $after) { totalCount } }';
const AUDIT = 'query($first: Int, $after: String, $filter: AuditEventFilter) { auditEvents(first: $first, after: $after, filter: $filter) { totalCount } }';

const connection = (over: Record<string, unknown> = {}) => ({ name: 'Hostile', accessToken: 'sk_test_hostile', ...over });
const schedule = (over: Record<string, unknown> = {}) => ({ frequency: 'HOUR', interval: 1, ...over });
const onboarding = (over: Record<string, unknown> = {}) => ({ name: 'Hostile', accessToken: 'sk_test_hostile', resources: ['CHARGES'], schedule: schedule(), ...over });
const dataflow = (over: Record<string, unknown> = {}) => ({ name: 'Hostile', sourceConnectionId: UNKNOWN, targetConnectionId: UNKNOWN, mappingId: UNKNOWN, schedule: schedule(), ...over });
const b64 = (text: string) => Buffer.from(text).toString('base64url');

/** One hostile request and what the gateway must answer. */
export interface HostileCase {
  name: string;
  /** A GraphQL request (JSON-encoded), or a raw body. */
  request:
    { query: string; variables?: Record<string, unknown>; operationName?: string } | { raw: string | Buffer; contentType?: string; method?: string; headers?: Record<string, string> } | unknown[];
  /** The error's extensions.code; null when the request is answered without error (e.g. an injection-like filter that matches nothing). */
  code: string | null;
  /** The field the error names (extensions.field), when it has one. */
  field?: string;
  /** The HTTP status, when it matters (4xx). */
  status?: number;
  /** For an answer without error: the data it must be (e.g. null for another sandbox's resource). */
  data?: unknown;
}

const CASES: HostileCase[] = [
  // Transport and JSON
  { name: 'invalid JSON', request: { raw: '{"query": "{ __typename }"' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'a JSON string instead of an object', request: { raw: '"{ __typename }"' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'a JSON number', request: { raw: '42' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'an empty body', request: { raw: '' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'an empty object', request: { raw: '{}' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'query is a number', request: { raw: '{"query": 42}' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'variables is a string', request: { raw: '{"query": "{ __typename }", "variables": "x"}' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'a batch of numbers', request: [1, 2], code: 'BAD_REQUEST', status: 400 },
  { name: 'an unsupported charset', request: { raw: '{"query": "{ __typename }"}', contentType: 'application/json; charset=latin-9' }, code: 'BAD_REQUEST', status: 415 },
  {
    name: 'a gzip bomb (5 MB inflated from a few kB)',
    request: { raw: gzipSync(JSON.stringify({ query: '{ __typename }', pad: '0'.repeat(5_000_000) })), headers: { 'content-encoding': 'gzip' } },
    code: 'PAYLOAD_TOO_LARGE',
    status: 413,
  },
  { name: 'gzip that is not gzip', request: { raw: 'not gzip at all', headers: { 'content-encoding': 'gzip' } }, code: 'BAD_REQUEST', status: 400 },
  { name: 'an unknown content-encoding', request: { raw: '{"query": "{ __typename }"}', headers: { 'content-encoding': 'compress' } }, code: 'BAD_REQUEST', status: 415 },
  { name: 'a mutation over GET', request: { raw: '', method: 'GET', headers: { 'apollo-require-preflight': 'true' } }, code: 'BAD_REQUEST', status: 405 },
  {
    name: 'a persisted query whose hash does not match',
    request: { raw: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }) },
    code: 'BAD_REQUEST',
    status: 400,
  },
  { name: 'an unknown operationName', request: { query: 'query A { __typename }', operationName: 'B' }, code: 'OPERATION_RESOLUTION_FAILURE', status: 400 },
  { name: 'a syntax error', request: { query: '{ connections { totalCount }' }, code: 'GRAPHQL_PARSE_FAILED', status: 400 },
  { name: 'a NUL byte in the query text', request: { query: '{ connections\u0000 { totalCount } }' }, code: 'GRAPHQL_PARSE_FAILED', status: 400 },
  { name: 'an unknown field', request: { query: '{ secrets { accessToken } }' }, code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a fragment cycle', request: { query: '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }' }, code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a subscription over HTTP', request: { query: `subscription { operationUpdated(id: "${UNKNOWN}") { id } }` }, code: 'BAD_REQUEST' },

  // Wrong types
  { name: 'name is a number', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: 42 }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'accessToken is an object', request: { query: CREATE_CONNECTION, variables: { input: connection({ accessToken: { $ne: null } }) } }, code: 'BAD_USER_INPUT', field: 'input.accessToken' },
  { name: 'accessToken is missing', request: { query: CREATE_CONNECTION, variables: { input: { name: 'Hostile' } } }, code: 'BAD_USER_INPUT', field: 'input' },
  { name: 'an input field the type does not define', request: { query: CREATE_CONNECTION, variables: { input: connection({ isAdmin: true }) } }, code: 'BAD_USER_INPUT', field: 'input' },
  { name: 'null for a required variable', request: { query: CREATE_CONNECTION, variables: { input: null } }, code: 'BAD_USER_INPUT', field: 'input' },
  { name: 'an unknown enum value in variables', request: { query: ONBOARD, variables: { input: onboarding({ resources: ['BITCOIN'] }) } }, code: 'BAD_USER_INPUT', field: 'input.resources[0]' },
  { name: 'an unknown enum literal', request: { query: '{ dataflows(filter: { resource: BITCOIN }) { totalCount } }' }, code: 'BAD_USER_INPUT', field: 'filter.resource', status: 400 },
  { name: 'an enum given as a string literal', request: { query: '{ dataflows(filter: { resource: "CHARGES" }) { totalCount } }' }, code: 'BAD_USER_INPUT', field: 'filter.resource', status: 400 },
  {
    name: 'a lower-case frequency',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ frequency: 'hour' }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.frequency',
  },
  { name: 'a fractional interval', request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ interval: 1.5 }) }) } }, code: 'BAD_USER_INPUT', field: 'input.schedule.interval' },
  {
    name: 'an interval as a string',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ interval: '1' }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.interval',
  },
  {
    name: 'a startTime that is not a date',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ startTime: 'tomorrow' }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.startTime',
  },
  { name: 'a boolean given as "yes"', request: { query: ONBOARD, variables: { input: onboarding({ rollbackOnFailure: 'yes' }) } }, code: 'BAD_USER_INPUT', field: 'input.rollbackOnFailure' },
  { name: 'an id given as an object', request: { query: UPDATE_CONNECTION, variables: { id: { id: UNKNOWN }, input: { name: 'x' } } }, code: 'BAD_USER_INPUT', field: 'id' },
  { name: 'first as a string', request: { query: CONNECTIONS, variables: { first: '10' } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first as a fraction', request: { query: CONNECTIONS, variables: { first: 1.5 } }, code: 'BAD_USER_INPUT', field: 'first' },

  // Pagination
  { name: 'a negative first', request: { query: CONNECTIONS, variables: { first: -1 } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first 0', request: { query: CONNECTIONS, variables: { first: 0 } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first 101', request: { query: CONNECTIONS, variables: { first: 101 } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first a billion', request: { query: CONNECTIONS, variables: { first: 1_000_000_000 } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first beyond 32 bits', request: { query: CONNECTIONS, variables: { first: 2 ** 53 } }, code: 'BAD_USER_INPUT', field: 'first' },
  { name: 'first beyond 32 bits as a literal', request: { query: '{ connections(first: 99999999999) { totalCount } }' }, code: 'BAD_USER_INPUT', field: 'first', status: 400 },
  {
    name: 'a negative first as a literal',
    request: { query: '{ dataflows(first: -5) { edges { node { runs(first: 1000) { totalCount } } } } }' },
    code: 'BAD_USER_INPUT',
    field: 'first',
    status: 400,
  },

  // Forged cursors
  { name: 'a cursor that is not base64', request: { query: CONNECTIONS, variables: { after: '!!not a cursor!!' } }, code: 'BAD_USER_INPUT', field: 'after' },
  { name: 'a base64 cursor of garbage JSON', request: { query: CONNECTIONS, variables: { after: b64('{"a":1}') } }, code: 'BAD_USER_INPUT', field: 'after' },
  { name: 'an audit cursor on connections', request: { query: CONNECTIONS, variables: { after: b64('a:5') } }, code: 'BAD_USER_INPUT', field: 'after' },
  { name: 'a resource cursor on audit events', request: { query: AUDIT, variables: { after: b64(JSON.stringify(['2026-01-01T00:00:00.000Z', UNKNOWN])) } }, code: 'BAD_USER_INPUT', field: 'after' },
  {
    name: 'a cursor carrying SQL',
    request: { query: CONNECTIONS, variables: { after: b64(JSON.stringify(['2026-01-01T00:00:00Z', "'; DROP TABLE resources; --"])) } },
    code: 'BAD_USER_INPUT',
    field: 'after',
  },
  { name: 'a 100 kB cursor', request: { query: CONNECTIONS, variables: { after: 'A'.repeat(100_000) } }, code: 'BAD_USER_INPUT', field: 'after' },

  // Oversized strings and lists
  { name: 'a 201-character name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: 'n'.repeat(201) }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'a 500 kB name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: 'n'.repeat(500_000) }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  {
    name: 'a 513-character access token',
    request: { query: CREATE_CONNECTION, variables: { input: connection({ accessToken: 's'.repeat(513) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.accessToken',
  },
  {
    name: 'a 1001-character description',
    request: { query: CREATE_CONNECTION, variables: { input: connection({ description: 'd'.repeat(1001) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.description',
  },
  {
    name: 'a 129-character idempotency key',
    request: { query: CREATE_CONNECTION, variables: { input: connection({ idempotencyKey: 'k'.repeat(129) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.idempotencyKey',
  },
  {
    name: '20,000 resources',
    request: { query: ONBOARD, variables: { input: onboarding({ resources: Array.from({ length: 20_000 }, () => 'CHARGES') }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.resources',
  },
  { name: 'an empty resource list', request: { query: ONBOARD, variables: { input: onboarding({ resources: [] }) } }, code: 'BAD_USER_INPUT', field: 'input.resources' },
  {
    name: '10,000 field mappings',
    request: { query: CREATE_MAPPING, variables: { input: { schemaId: '@schema', fieldMappings: Array.from({ length: 10_000 }, (_, i) => ({ source: `data.f${i}`, destination: `_x.f${i}` })) } } },
    code: 'BAD_USER_INPUT',
    field: 'input.fieldMappings',
  },
  {
    name: 'an explore schema nested 5,000 deep',
    request: {
      raw: JSON.stringify({ query: CREATE_XDM, variables: { input: { name: 'Deep', resource: 'CHARGES', exploreSchema: '@deep' } } }).replace('"@deep"', '{"a":'.repeat(5000) + '1' + '}'.repeat(5000)),
    },
    code: 'BAD_USER_INPUT',
    field: 'input.exploreSchema',
  },

  // Unicode and control characters
  { name: 'a NUL in a name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: 'Stripe\u0000prod' }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'a right-to-left override in a name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: 'Stripe \u202Edorp' }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'a bidi isolate in a name', request: { query: ONBOARD, variables: { input: onboarding({ name: 'a\u2066b\u2069' }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'an ANSI escape in a name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: '\u001b[31mred' }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  { name: 'a C1 control in a description', request: { query: CREATE_CONNECTION, variables: { input: connection({ description: 'x\u0085y' }) } }, code: 'BAD_USER_INPUT', field: 'input.description' },
  {
    name: 'a lone surrogate in a name',
    request: {
      raw: '{"query": "mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }", "variables": {"input": {"name": "bad \\ud800 text", "accessToken": "sk_test_x"}}}',
    },
    code: 'BAD_USER_INPUT',
    field: 'input.name',
  },
  { name: 'a whitespace-only name', request: { query: CREATE_CONNECTION, variables: { input: connection({ name: ' \t \n ' }) } }, code: 'BAD_USER_INPUT', field: 'input.name' },
  {
    name: 'a newline in an access token',
    request: { query: CREATE_CONNECTION, variables: { input: connection({ accessToken: 'sk_test_a\nb' }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.accessToken',
  },

  // SQL- and JSON-path-like strings where ids and paths go
  { name: 'SQL in an id', request: { query: UPDATE_CONNECTION, variables: { id: "' OR 1=1 --", input: { name: 'x' } } }, code: 'BAD_USER_INPUT', field: 'id' },
  { name: 'a JSON path in an id', request: { query: 'mutation($id: ID!) { deleteConnection(id: $id) { id } }', variables: { id: '$.resources[*]' } }, code: 'BAD_USER_INPUT', field: 'id' },
  {
    name: 'a path traversal as explore connectionId',
    request: { query: 'query($c: ID!) { explore(connectionId: $c, resource: CHARGES) { connectionId } }', variables: { c: '../../etc/passwd' } },
    code: 'NOT_FOUND',
    field: 'connectionId',
  },
  {
    name: 'SQL in an audit filter matches nothing',
    request: { query: AUDIT, variables: { filter: { actor: "' OR ''='", action: 'CREATED' } } },
    code: null,
    data: { auditEvents: { totalCount: 0 } },
  },
  {
    name: 'SQL as an audit action is not one of its values',
    request: { query: AUDIT, variables: { filter: { action: "x'; DELETE FROM audit_events; --" } } },
    code: 'BAD_USER_INPUT',
    field: 'filter.action',
  },
  {
    name: 'a JSON path as a mapping source',
    request: { query: CREATE_MAPPING, variables: { input: { schemaId: '@schema', fieldMappings: [{ source: '$..password', destination: '_x.y' }] } } },
    code: 'BAD_USER_INPUT',
    field: 'input.fieldMappings[0].source',
  },
  {
    name: 'a __proto__ key in an explore schema',
    request: {
      raw: JSON.stringify({ query: CREATE_XDM, variables: { input: { name: 'Proto', resource: 'CHARGES' } } }).replace(
        '"resource":"CHARGES"',
        '"resource":"CHARGES","exploreSchema":{"__proto__":{"polluted":true}}',
      ),
    },
    code: 'BAD_USER_INPUT',
    field: 'input.exploreSchema',
  },

  // Invalid schedules
  {
    name: 'ONCE with an interval',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: { frequency: 'ONCE', interval: 1 } }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.interval',
  },
  {
    name: 'ONCE with backfill',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: { frequency: 'ONCE', backfill: true } }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.backfill',
  },
  {
    name: 'every 5 minutes',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ frequency: 'MINUTE', interval: 5 }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.interval',
  },
  { name: 'interval 0', request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ interval: 0 }) }) } }, code: 'BAD_USER_INPUT', field: 'input.schedule.interval' },
  {
    name: 'a negative interval on a dataflow',
    request: { query: CREATE_DATAFLOW, variables: { input: dataflow({ schedule: schedule({ interval: -1 }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.interval',
  },
  {
    name: 'a start time in 2000',
    request: { query: ONBOARD, variables: { input: onboarding({ schedule: schedule({ startTime: '2000-01-01T00:00:00Z' }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.startTime',
  },
  {
    name: 'a start time in the year 9999',
    request: { query: CREATE_DATAFLOW, variables: { input: dataflow({ schedule: schedule({ startTime: '9999-12-31T23:59:59Z' }) }) } },
    code: 'BAD_USER_INPUT',
    field: 'input.schedule.startTime',
  },

  // Invalid ids
  { name: 'a non-uuid connection id', request: { query: UPDATE_CONNECTION, variables: { id: 'not-a-uuid', input: { name: 'x' } } }, code: 'BAD_USER_INPUT', field: 'id' },
  { name: 'an unknown connection', request: { query: UPDATE_CONNECTION, variables: { id: UNKNOWN, input: { name: 'x' } } }, code: 'NOT_FOUND', field: 'id' },
  { name: 'deleting an unknown dataflow', request: { query: 'mutation($id: ID!) { deleteDataflow(id: $id) { id } }', variables: { id: UNKNOWN } }, code: 'NOT_FOUND', field: 'id' },
  { name: 'retrying an unknown operation', request: { query: 'mutation($id: ID!) { retryOperation(id: $id) { id } }', variables: { id: UNKNOWN } }, code: 'NOT_FOUND', field: 'id' },
  { name: 'cancelling a non-uuid onboarding', request: { query: 'mutation($id: ID!) { cancelOnboarding(id: $id) { id } }', variables: { id: 'x' } }, code: 'BAD_USER_INPUT', field: 'id' },
  { name: 'a dataflow on unknown resources', request: { query: CREATE_DATAFLOW, variables: { input: dataflow() } }, code: 'NOT_FOUND', field: 'input.sourceConnectionId' },
  {
    name: 'a source connection on a non-uuid connection',
    request: { query: CREATE_SOURCE, variables: { input: { connectionId: 'nope', resource: 'CHARGES' } } },
    code: 'NOT_FOUND',
    field: 'input.connectionId',
  },
  { name: 'an id given as a huge number', request: { query: 'mutation($id: ID!) { deleteDataflow(id: $id) { id } }', variables: { id: 1e21 } }, code: 'BAD_USER_INPUT', field: 'id' },

  // Expensive shapes
  { name: 'a query 60 deep', request: { query: `{ __type(name: "Query") { ${'ofType { '.repeat(58)}name${' }'.repeat(58)} } }` }, code: 'QUERY_TOO_COMPLEX', status: 400 },
  { name: '200 aliases', request: { query: `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: __typename`).join(' ')} }` }, code: 'QUERY_TOO_COMPLEX', status: 400 },
  {
    name: 'a fragment fan-out bomb',
    request: {
      query: `{ ...F0 } ${Array.from({ length: 8 }, (_, i) => `fragment F${i} on Query { ${i === 7 ? 'connections(first: 100) { totalCount }' : `...F${i + 1} c${i}: connections(first: 100) { totalCount }`} }`).join(' ')}`,
    },
    code: 'QUERY_TOO_COMPLEX',
    status: 400,
  },
  { name: '5,000 directives', request: { query: `{ __typename ${'@include(if: true) '.repeat(5000)}}` }, code: 'QUERY_TOO_COMPLEX', status: 400 },
  { name: 'a batch of 1,000 operations', request: Array.from({ length: 1000 }, () => ({ query: '{ __typename }' })), code: 'QUERY_TOO_COMPLEX', status: 400 },
];

/**
 * Credentials made in `before` (keys, tokens) and a resource of another sandbox; a case names
 * them as placeholders (`@revoked`, `@devConnection`, …) in its headers or body.
 */
const JWT_SECRET = 'hostile-test-shared-secret-0123456789abcdef';
const ISSUER = 'https://issuer.hostile.test';
const AUDIENCE = 'flowgate-hostile';
const bearer = (placeholder: string) => ({ authorization: `Bearer ${placeholder}` });
const asCaller = (placeholder: string, query: string, variables: Record<string, unknown> = {}, extra: Record<string, string> = {}): HostileCase['request'] => ({
  raw: JSON.stringify({ query, variables }),
  headers: { ...bearer(placeholder), ...extra },
});

/** Cases about who is calling: missing, forged, expired or revoked credentials, roles, other sandboxes. */
export const AUTH_CASES: HostileCase[] = [
  { name: 'no credential at all', request: { raw: JSON.stringify({ query: CONNECTIONS }), headers: { authorization: '' } }, code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an empty bearer token', request: { raw: JSON.stringify({ query: CONNECTIONS }), headers: { authorization: 'Bearer ' } }, code: 'UNAUTHENTICATED', status: 401 },
  {
    name: 'a Basic credential',
    request: { raw: JSON.stringify({ query: CONNECTIONS }), headers: { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } },
    code: 'UNAUTHENTICATED',
    status: 401,
  },
  { name: 'garbage as a bearer token', request: asCaller('not-a-key-or-a-token', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an API key that is shaped right but unknown', request: asCaller(`fgk_${'0'.repeat(16)}_${'A'.repeat(43)}`, CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an API key with SQL in it', request: asCaller("fgk_' OR '1'='1' --_x", CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a known key id with a wrong secret', request: asCaller('@wrongSecret', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a revoked API key', request: asCaller('@revoked', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an expired API key', request: asCaller('@expired', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a revoked API key in x-api-key', request: { raw: JSON.stringify({ query: CONNECTIONS }), headers: { authorization: '', 'x-api-key': '@revoked' } }, code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an expired JWT', request: asCaller('@jwtExpired', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT signed with another secret', request: asCaller('@jwtForged', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'an unsigned JWT (alg none)', request: asCaller('@jwtNone', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT whose payload was edited after signing (role raised)', request: asCaller('@jwtTampered', CREATE_CONNECTION, { input: connection() }), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT of another issuer', request: asCaller('@jwtIssuer', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT for another audience', request: asCaller('@jwtAudience', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT with a role that does not exist', request: asCaller('@jwtSuperuser', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a JWT not valid before next hour', request: asCaller('@jwtNotYet', CONNECTIONS), code: 'UNAUTHENTICATED', status: 401 },
  { name: 'a viewer creating a connection', request: asCaller('@viewer', CREATE_CONNECTION, { input: connection() }), code: 'FORBIDDEN', status: 403 },
  { name: 'an auditor reading connections', request: asCaller('@auditor', CONNECTIONS), code: 'FORBIDDEN', status: 403 },
  { name: 'an operator creating an API key', request: asCaller('@operator', 'mutation { createApiKey(input: { name: "sneaky", role: ADMIN }) { key } }'), code: 'FORBIDDEN', status: 403 },
  {
    name: 'an operator deleting with cascade',
    request: asCaller('@operator', 'mutation($id: ID!) { deleteConnection(id: $id, cascade: true) { id } }', { id: UNKNOWN }),
    code: 'FORBIDDEN',
    status: 403,
  },
  { name: 'a prod-bound key asking for sandbox dev', request: asCaller('@prodOnly', CONNECTIONS, {}, { 'x-sandbox-name': 'dev' }), code: 'FORBIDDEN', status: 403 },
  {
    name: 'a prod-bound key updating a connection of sandbox dev',
    request: asCaller('@prodOnly', UPDATE_CONNECTION, { id: '@devConnection', input: { name: 'taken over' } }),
    code: 'NOT_FOUND',
    field: 'id',
  },
  {
    name: 'a prod-bound key deleting a connection of sandbox dev',
    request: asCaller('@prodOnly', 'mutation($id: ID!) { deleteConnection(id: $id) { id } }', { id: '@devConnection' }),
    code: 'NOT_FOUND',
    field: 'id',
  },
  {
    name: 'a prod-bound key building a source connection on a connection of sandbox dev',
    request: asCaller('@prodOnly', CREATE_SOURCE, { input: { connectionId: '@devConnection', resource: 'CHARGES' } }),
    code: 'NOT_FOUND',
    field: 'input.connectionId',
  },
  {
    name: 'a prod-bound key reading a connection of sandbox dev',
    request: asCaller('@prodOnly', 'query($id: ID!) { connection(id: $id) { id } }', { id: '@devConnection' }),
    code: null,
    data: { connection: null },
  },
];

interface Snapshot {
  rows: Record<string, number>;
  platformRequests: string[];
  platformResources: string;
}

describe('hostile and malformed requests', () => {
  let stack: TestStack;

  /** An XDM schema the mapping cases point at (so their field mappings are what is refused). */
  let schemaId = '';
  /** What the placeholders in the cases stand for. */
  const placeholders = new Map<string, string>();
  const fill = (text: string) => [...placeholders].reduce((t, [name, value]) => t.replaceAll(name, value), text.replaceAll('@schema', schemaId));

  before(async () => {
    stack = await TestStack.start({ env: { AUTH_JWT_SECRET: JWT_SECRET, AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE } });
    const secret = new TextEncoder().encode(JWT_SECRET);
    const jwt = (claims: Record<string, unknown>, over: { issuer?: string; audience?: string; expires?: string | number; notBefore?: string } = {}) => {
      let token = new SignJWT({ flowgate_role: 'admin', ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('hostile-user').setIssuedAt();
      token = token
        .setIssuer(over.issuer ?? ISSUER)
        .setAudience(over.audience ?? AUDIENCE)
        .setExpirationTime(over.expires ?? '5m');
      if (over.notBefore) token = token.setNotBefore(over.notBefore);
      return token;
    };
    const revoked = await stack.createKey('hostile-revoked', 'admin');
    const revokedResult = await stack.gql('mutation { revokeApiKey(name: "hostile-revoked") { name } }');
    assert.equal(revokedResult.errors, undefined, JSON.stringify(revokedResult.errors));
    const viewer = await stack.createKey('hostile-viewer', 'viewer');
    const valid = (await jwt({}).sign(secret)).split('.');
    const payload = valid[1];
    assert.ok(payload, 'a signed JWT is header.payload.signature');
    const raised = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), flowgate_role: 'admin', sub: 'root' })).toString('base64url');
    const entries: [string, string][] = [
      ['@revoked', revoked],
      ['@expired', await stack.createKey('hostile-expired', 'admin', { expiresAt: new Date(Date.now() - 60_000) })],
      ['@wrongSecret', `${viewer.slice(0, 21)}${'B'.repeat(43)}`],
      ['@viewer', viewer],
      ['@auditor', await stack.createKey('hostile-auditor', 'auditor')],
      ['@operator', await stack.createKey('hostile-operator', 'operator')],
      ['@prodOnly', await stack.createKey('hostile-prod-only', 'admin', { sandboxes: ['prod'] })],
      ['@jwtExpired', await jwt({}, { expires: Math.floor(Date.now() / 1000) - 3600 }).sign(secret)],
      ['@jwtForged', await jwt({}).sign(new TextEncoder().encode('another-secret-entirely-0123456789abcdef'))],
      ['@jwtNone', `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`],
      ['@jwtTampered', `${valid[0]}.${raised}.${valid[2]}`],
      ['@jwtIssuer', await jwt({}, { issuer: 'https://evil.example' }).sign(secret)],
      ['@jwtAudience', await jwt({}, { audience: 'someone-else' }).sign(secret)],
      ['@jwtSuperuser', await jwt({ flowgate_role: 'superuser' }).sign(secret)],
      ['@jwtNotYet', await jwt({}, { notBefore: '1h' }).sign(secret)],
    ];
    // Longest placeholder first, so none is replaced inside a longer one.
    for (const [name, value] of entries.sort((a, b) => b[0].length - a[0].length)) placeholders.set(name, value);
    // A connection in sandbox dev, which the prod-bound key must not see or touch.
    const dev = await mutateAndWait(stack, 'createConnection', 'CreateConnectionInput', { name: 'Hostile dev', accessToken: 'sk_test_hostile_dev' }, { 'x-sandbox-name': 'dev' });
    placeholders.set('@devConnection', dev.resourceId);
    const exploreSchema = { type: 'object', properties: { data: { type: 'object', properties: { amount: { type: 'integer' } } } } };
    schemaId = (await mutateAndWait(stack, 'createXdmSchema', 'CreateXdmSchemaInput', { name: 'Hostile fixture', resource: 'CHARGES', exploreSchema })).resourceId;
  });
  after(() => stack.stop());

  async function snapshot(): Promise<Snapshot> {
    const [rows] = await stack.sql<Record<string, string>>(
      'SELECT (SELECT count(*) FROM operations) AS operations, (SELECT count(*) FROM resources) AS resources, (SELECT count(*) FROM audit_events) AS audit_events, (SELECT count(*) FROM secrets) AS secrets, (SELECT count(*) FROM onboardings) AS onboardings',
    );
    const { requests } = (await stack.control('GET', '/requests')) as { requests: { method: string; path: string }[] };
    return {
      rows: Object.fromEntries(Object.entries(rows!).map(([k, v]) => [k, Number(v)])),
      // The control API's own calls (these snapshots) are logged too; only Platform calls count.
      platformRequests: requests.filter((r) => !r.path.startsWith('/__emulator')).map((r) => `${r.method} ${r.path}`),
      platformResources: JSON.stringify(await stack.control('GET', '/resources')),
    };
  }

  async function send(c: HostileCase): Promise<{ status: number; body: any }> {
    const request = c.request;
    let init: RequestInit;
    let url = stack.url;
    // The admin key unless the case sends its own credential (an empty value sends none).
    const withCredential = (headers: Record<string, string> = {}) =>
      Object.fromEntries(
        Object.entries({ authorization: `Bearer ${stack.adminKey}`, ...headers })
          .map(([k, v]) => [k, fill(v)])
          .filter(([, v]) => v !== ''),
      );
    if (!Array.isArray(request) && 'raw' in request) {
      init = {
        method: request.method ?? 'POST',
        headers: withCredential({ 'content-type': request.contentType ?? 'application/json', ...request.headers }),
        body: request.method === 'GET' ? undefined : typeof request.raw === 'string' ? fill(request.raw) : new Uint8Array(request.raw),
      };
      if (request.method === 'GET') url += `?query=${encodeURIComponent(`mutation { deleteConnection(id: "${UNKNOWN}") { id } }`)}`;
    } else {
      init = { method: 'POST', headers: withCredential({ 'content-type': 'application/json' }), body: fill(JSON.stringify(request)) };
    }
    const response = await fetch(url, init);
    const text = await response.text();
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      body = { unparsed: text };
    }
    return { status: response.status, body };
  }

  for (const c of [...CASES, ...AUTH_CASES]) {
    it(`${c.name}: ${c.code ?? 'answered'}${c.field ? ` naming ${c.field}` : ''}, nothing written`, async () => {
      const before = await snapshot();
      const { status, body } = await send(c);
      assert.ok(status < 500, `no 5xx: ${status} ${JSON.stringify(body).slice(0, 500)}`);
      const errors = Array.isArray(body) ? body.flatMap((r: any) => r.errors ?? []) : (body.errors ?? []);
      if (c.code === null) {
        assert.deepEqual(errors, [], JSON.stringify(body).slice(0, 500));
        if ('data' in c) assert.deepEqual(body.data, c.data);
      } else {
        assert.ok(errors.length > 0, `an error: ${JSON.stringify(body).slice(0, 500)}`);
        assert.equal(errors[0].extensions?.code, c.code, JSON.stringify(errors[0]).slice(0, 500));
        if (c.field) assert.equal(errors[0].extensions?.field, c.field, JSON.stringify(errors[0]).slice(0, 500));
        for (const error of errors) assert.notEqual(error.extensions?.code, 'INTERNAL_SERVER_ERROR');
      }
      if (c.status !== undefined) assert.equal(status, c.status);
      assert.doesNotMatch(JSON.stringify(body), /at [\w.<>]+ \(|node_modules|\.js:\d+/, 'no stack trace');
      assert.deepEqual(await snapshot(), before, 'nothing written');
      assert.deepEqual((await stack.data('{ __typename }')).__typename, 'Query', 'still serves');
    });
  }

  it('has at least 60 cases', () => {
    assert.ok(CASES.length + AUTH_CASES.length >= 60, `${CASES.length + AUTH_CASES.length} cases`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
  });

  it('stores a name that looks like SQL or a JSON path verbatim, and executes neither', async () => {
    const names = ["Robert'); DROP TABLE operations; --", '$.store.book[?(@.price < 10)]', '{{7*7}} ${7*7} <script>alert(1)</script>', 'Zoë 支付 💳'];
    for (const name of names) {
      const result = await stack.gql('mutation($input: CreateConnectionInput!) { createConnection(input: $input) { id } }', { input: connection({ name }) });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      const operation = await stack.waitForOperation(result.data.createConnection.id, 60_000);
      assert.equal(operation.status, 'SUCCEEDED', JSON.stringify(operation.error));
      const stored = await stack.data('query($id: ID!) { connection(id: $id) { name } }', { id: operation.resourceId });
      assert.equal(stored.connection.name, name);
    }
    const { count } = await stack.sqlRow<{ count: string }>('SELECT count(*) FROM operations');
    assert.ok(Number(count) >= names.length, 'the operations table is still there');
  });

  describe('WebSocket messages out of protocol order', () => {
    /** Opens a raw graphql-ws socket, sends the frames, and resolves with the close code. */
    function closeCodeAfter(frames: (string | Buffer | number)[]): Promise<number> {
      return new Promise((resolve, reject) => {
        const socket = new WebSocket(stack.wsUrl, 'graphql-transport-ws');
        const timer = setTimeout(() => reject(new Error('the socket was not closed')), 5000);
        const sendAll = async () => {
          // A number waits that many ms (e.g. for connection_ack); frames between waits go out together.
          for (const frame of frames) {
            if (typeof frame === 'number') await new Promise((r) => setTimeout(r, frame));
            else socket.send(typeof frame === 'string' ? fill(frame.replace('@init', JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${stack.adminKey}` } }))) : frame);
          }
        };
        socket.on('open', () => void sendAll().catch(reject));
        socket.on('close', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        socket.on('error', () => undefined);
      });
    }
    // The admin key's connection_init (filled in when sent).
    const init = '@init';
    const initWith = (payload: unknown) => JSON.stringify({ type: 'connection_init', payload });
    const subscribe = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: `subscription { operationUpdated(id: "${UNKNOWN}") { id } }` } });

    const wsCases: { name: string; frames: (string | Buffer | number)[]; code: number }[] = [
      { name: 'subscribe before connection_init', frames: [subscribe('1')], code: 4401 },
      { name: 'a second connection_init', frames: [init, 100, init], code: 4429 },
      { name: 'a frame that is not JSON', frames: ['{not json'], code: 4400 },
      { name: 'a binary frame of garbage', frames: [Buffer.from([0xff, 0x00, 0xfe, 0x01])], code: 4400 },
      { name: 'a message of an unknown type', frames: [init, 100, JSON.stringify({ type: 'hack' })], code: 4400 },
      { name: 'connection_init with a string payload', frames: [JSON.stringify({ type: 'connection_init', payload: 'x' })], code: 4400 },
      { name: 'subscribe without a query', frames: [init, 100, JSON.stringify({ id: '1', type: 'subscribe', payload: {} })], code: 4400 },
      { name: 'two subscriptions with one id', frames: [init, 100, subscribe('same'), subscribe('same')], code: 4409 },
      { name: 'connection_init without a credential', frames: [JSON.stringify({ type: 'connection_init' })], code: 4401 },
      { name: 'connection_init with a revoked key', frames: [initWith({ authorization: 'Bearer @revoked' })], code: 4401 },
      { name: 'connection_init with an expired JWT', frames: [initWith({ authorization: 'Bearer @jwtExpired' })], code: 4401 },
      { name: 'connection_init with a forged JWT', frames: [initWith({ authorization: 'Bearer @jwtForged' })], code: 4401 },
      { name: 'connection_init of a prod-bound key asking for sandbox dev', frames: [initWith({ authorization: 'Bearer @prodOnly', sandbox: 'dev' })], code: 4403 },
      {
        name: 'a frame over GRAPHQL_MAX_REQUEST_BYTES',
        frames: [init, 100, JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename } #${'x'.repeat(1_100_000)}` } })],
        code: 1009,
      },
    ];

    for (const c of wsCases) {
      it(`closes the socket with ${c.code} on ${c.name}, writes nothing and goes on serving`, async () => {
        const before = await snapshot();
        assert.equal(await closeCodeAfter(c.frames), c.code);
        assert.deepEqual(await snapshot(), before);
        assert.equal((await stack.data('{ __typename }')).__typename, 'Query');
      });
    }

    it('answers a hostile operation over an initialised socket with an error message, not a closed socket', async () => {
      const client = stack.wsClient();
      const errors = await new Promise<any>((resolve, reject) => {
        client.subscribe({ query: '{ connections(first: -1) { totalCount } }' }, { next: (v) => resolve(v.errors), error: resolve, complete: () => undefined });
        setTimeout(() => reject(new Error('no answer')), 5000);
      });
      assert.equal(errors[0].extensions.code, 'BAD_USER_INPUT');
      assert.equal(errors[0].extensions.field, 'first');
      const syntax = await new Promise<any>((resolve) => client.subscribe({ query: '{ connections {' }, { next: (v) => resolve(v.errors), error: resolve, complete: () => undefined }));
      assert.equal(syntax[0].extensions.code, 'GRAPHQL_PARSE_FAILED');
    });
  });
});

import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'graphql';
import type { Caller, Role } from '../../src/auth/caller.js';
import { authorizeOperation, NODE_READERS, POLICY } from '../../src/auth/policy.js';
import { buildGatewaySchema } from '../../src/gateway/schema.js';

const caller = (role: Role): Caller => ({ id: `apikey:${role}`, kind: 'API_KEY', role, sandboxes: [], apiKeyId: null, expiresAt: null });

describe('the role policy', () => {
  it('names every root field of the schema, and nothing that is not one (deny by default stays deliberate)', async () => {
    const schema = await buildGatewaySchema();
    const fields = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => Object.keys(type!.getFields()).map((f) => `${type!.name}.${f}`));
    assert.deepEqual(
      fields.filter((f) => !(f in POLICY)),
      [],
      'root fields missing from the policy table',
    );
    assert.deepEqual(
      Object.keys(POLICY).filter((f) => !fields.includes(f)),
      [],
      'policy entries for fields that do not exist',
    );
  });

  it('gives the auditor the audit trail, its verification, whoami and node lookups that return audit events only', () => {
    const auditor = Object.entries(POLICY)
      .filter(([, p]) => p.roles.includes('auditor'))
      .map(([f]) => f)
      .sort();
    assert.deepEqual(auditor, ['Query.auditEvents', 'Query.node', 'Query.nodes', 'Query.verifyAuditChain', 'Query.whoami']);
    assert.deepEqual(
      Object.entries(NODE_READERS)
        .filter(([, roles]) => roles.includes('auditor'))
        .map(([kind]) => kind),
      ['auditEvent'],
    );
  });

  it('lets node/nodes return each kind to exactly the roles of the query that reads it (API keys: admins)', () => {
    assert.deepEqual(NODE_READERS.apiKey, ['admin']);
    assert.deepEqual(NODE_READERS.resource, POLICY['Query.dataflow']!.roles);
    assert.deepEqual(NODE_READERS.operation, POLICY['Query.operations']!.roles);
  });

  it('gives the viewer no mutation, and the operator no API-key management', () => {
    assert.deepEqual(
      Object.entries(POLICY).filter(([f, p]) => f.startsWith('Mutation.') && p.roles.includes('viewer')),
      [],
    );
    assert.deepEqual(
      Object.entries(POLICY).filter(([f, p]) => /ApiKey/.test(f) && p.roles.includes('operator')),
      [],
    );
  });

  it('refuses a field that is not in the table, for every role', async () => {
    const schema = await buildGatewaySchema();
    const saved = POLICY['Query.connections'];
    delete (POLICY as Record<string, unknown>)['Query.connections'];
    try {
      for (const role of ['viewer', 'operator', 'admin', 'auditor'] as const) {
        const refused = authorizeOperation(schema, parse('{ connections { totalCount } }'), null, {}, caller(role));
        assert.match(refused?.message ?? '', /not open to any role/);
      }
    } finally {
      (POLICY as Record<string, unknown>)['Query.connections'] = saved;
    }
  });

  it('looks through inline fragments and fragment spreads, and allows __typename', async () => {
    const schema = await buildGatewaySchema();
    const doc = parse('query { __typename ... on Query { ...F } } fragment F on Query { apiKeys { name } }');
    assert.match(authorizeOperation(schema, doc, null, {}, caller('operator'))?.message ?? '', /Query.apiKeys requires the role admin/);
    assert.equal(authorizeOperation(schema, doc, null, {}, caller('admin')), null);
  });

  it('checks the cascade argument of deleteConnection, literal or variable', async () => {
    const schema = await buildGatewaySchema();
    const id = '00000000-0000-4000-8000-000000000000';
    const byVariable = parse('mutation($c: Boolean!) { deleteConnection(id: "x", cascade: $c) { id } }');
    assert.ok(authorizeOperation(schema, byVariable, null, { c: true }, caller('operator')));
    assert.equal(authorizeOperation(schema, byVariable, null, { c: false }, caller('operator')), null);
    assert.equal(authorizeOperation(schema, byVariable, null, { c: true }, caller('admin')), null);
    assert.equal(authorizeOperation(schema, parse(`mutation { deleteConnection(id: "${id}") { id } }`), null, {}, caller('operator')), null);
  });
});

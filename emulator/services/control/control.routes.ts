import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../context.js';
import { isStripeResourcePath, STRIPE_RESOURCE_PATHS } from '../../stripe/stripe-resources.js';

/** The longest window `GET /__emulator/connections/{id}/stripe/{resource}` lists (charges: ≈ 9,000 records). */
const MAX_LISTED_WINDOW_SECONDS = 31 * 86400;
import { STRIPE_ACCOUNT_STATES, type StripeAccountState } from '../../stripe/stripe-accounts.js';

interface ControlError {
  error: string;
  problems?: string[];
}

/**
 * The control API under `/__emulator/`: test and demo knobs that the real Platform does not
 * have. The gateway never calls these. Bodies are plain JSON; errors are `{error, problems?}`.
 */
export function registerControlRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const bad = (reply: { code: (n: number) => unknown }, error: ControlError) => {
    reply.code(400);
    return error;
  };

  app.get('/__emulator', async () => ({
    name: 'Flowgate AEP emulator',
    clientId: ctx.options.clientId,
    orgIds: ctx.options.orgIds,
    sandboxes: ctx.options.sandboxes,
    tenantId: ctx.options.tenantId,
    now: ctx.clock.nowSeconds(),
    clockControlled: ctx.clock.isControlled(),
  }));

  app.post('/__emulator/reset', { config: { bodyOptional: true } }, async () => {
    ctx.store.reset();
    ctx.runs.reset();
    ctx.accounts.reset();
    ctx.faults.clear();
    ctx.requestLog.clear();
    ctx.clock.release();
    return { reset: true, now: ctx.clock.nowSeconds() };
  });

  app.get('/__emulator/clock', async () => ({ now: ctx.clock.nowSeconds(), controlled: ctx.clock.isControlled() }));

  app.post('/__emulator/clock', async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return bad(reply, { error: 'body must be {"advanceSeconds": n} or {"now": epochSeconds}' });
    const hasAdvance = 'advanceSeconds' in body;
    const hasNow = 'now' in body;
    if (hasAdvance === hasNow) return bad(reply, { error: 'give exactly one of "advanceSeconds" or "now"' });
    if (hasAdvance) {
      const seconds = body.advanceSeconds;
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
        return bad(reply, { error: 'advanceSeconds must be a non-negative integer' });
      }
      ctx.clock.advance(seconds);
    } else {
      const now = body.now;
      // Epoch seconds, not milliseconds: anything past year 5138 is almost surely milliseconds.
      if (typeof now !== 'number' || !Number.isInteger(now) || now < 0 || now > 99_999_999_999) {
        return bad(reply, { error: 'now must be a non-negative integer in epoch seconds' });
      }
      ctx.clock.set(now);
    }
    const produced = ctx.runs.catchUp();
    return { now: ctx.clock.nowSeconds(), runsProduced: produced };
  });

  app.get('/__emulator/faults', async () => ({ faults: ctx.faults.list() }));

  app.post('/__emulator/faults', async (request, reply) => {
    const result = ctx.faults.add(request.body);
    if ('problems' in result) return bad(reply, { error: 'invalid fault rule', problems: result.problems });
    reply.code(201);
    return result;
  });

  app.delete('/__emulator/faults', async () => ({ removed: ctx.faults.clear() }));

  app.delete('/__emulator/faults/:id', async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    if (!ctx.faults.remove(id)) {
      reply.code(404);
      return { error: `no fault rule with id ${(request.params as { id: string }).id}` };
    }
    return { removed: 1 };
  });

  // The key travels in the body, never in the path: the request log keeps paths.
  app.post('/__emulator/stripe/accounts', async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    const problems: string[] = [];
    if (!body || typeof body !== 'object' || Array.isArray(body)) return bad(reply, { error: 'body must be {"accessToken": "sk_…", "state": "active|revoked|dormant"}' });
    if (typeof body.accessToken !== 'string' || body.accessToken === '') problems.push('accessToken must be the Stripe API key of the account');
    if (typeof body.state !== 'string' || !(STRIPE_ACCOUNT_STATES as readonly string[]).includes(body.state)) problems.push(`state must be one of ${STRIPE_ACCOUNT_STATES.join(', ')}`);
    if (problems.length > 0) return bad(reply, { error: 'invalid Stripe account change', problems });
    ctx.accounts.setState(body.accessToken as string, body.state as StripeAccountState);
    return { state: body.state };
  });

  app.post('/__emulator/tokens/expire', { config: { bodyOptional: true } }, async () => ({ expired: ctx.tokens.expireAll() }));

  app.get('/__emulator/requests', async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const since = query.since === undefined ? undefined : Number(query.since);
    if (since !== undefined && !Number.isInteger(since)) return bad(reply, { error: 'since must be an integer sequence number' });
    return { requests: ctx.requestLog.list({ sinceSeq: since, method: query.method, pathPrefix: query.path }) };
  });

  app.delete('/__emulator/requests', async () => {
    ctx.requestLog.clear();
    return { cleared: true };
  });

  app.get('/__emulator/datasets/:id/records', async (request, reply) => {
    const { id } = request.params as { id: string };
    ctx.runs.catchUp();
    for (const partition of ctx.store.allPartitions()) {
      if (!partition.datasets.has(id)) continue;
      const rows = partition.datasetRecords.get(id) ?? [];
      const query = request.query as Record<string, string | undefined>;
      const batchId = query.batchId;
      const selected = batchId ? rows.filter((r) => r.batchId === batchId) : rows;
      return {
        datasetId: id,
        orgId: partition.orgId,
        sandboxName: partition.sandboxName,
        count: selected.length,
        records: selected.map((r) => ({ batchId: r.batchId, runId: r.runId, record: r.record })),
      };
    }
    reply.code(404);
    return { error: `no dataset with id ${id} in any org or sandbox` };
  });

  /** The base connection `id` in any org and sandbox: its Stripe key opens the account. */
  const stripeKeyOf = (id: string): string | undefined => {
    for (const partition of ctx.store.allPartitions()) {
      const connection = partition.connections.get(id);
      if (connection) return String(connection.authParams.accessToken);
    }
    return undefined;
  };

  // Records added to the Stripe account a base connection opens: runs and explore read them with
  // the generated ones (e.g. Stripe's own fixture objects, to see them ingested).
  app.post('/__emulator/connections/:id/stripe/:resource', async (request, reply) => {
    const { id, resource } = request.params as { id: string; resource: string };
    const key = stripeKeyOf(id);
    if (key === undefined) {
      reply.code(404);
      return { error: `no base connection with id ${id} in any org or sandbox` };
    }
    if (!isStripeResourcePath(resource)) return bad(reply, { error: `resource must be one of ${STRIPE_RESOURCE_PATHS.join(', ')}` });
    const body = request.body as { records?: unknown } | undefined;
    const records = body?.records;
    if (!Array.isArray(records) || records.length === 0) return bad(reply, { error: 'body must be {"records": [Stripe objects]}' });
    const problems = records.flatMap((record: unknown, index) => {
      const r = record as Record<string, unknown> | null;
      if (typeof r !== 'object' || r === null || Array.isArray(r)) return [`records[${index}] must be an object`];
      const out: string[] = [];
      if (typeof r.id !== 'string' || r.id === '') out.push(`records[${index}].id must be a non-empty string`);
      if (!Number.isSafeInteger(r.created) || (r.created as number) < 0) out.push(`records[${index}].created must be epoch seconds`);
      return out;
    });
    if (problems.length > 0) return bad(reply, { error: 'invalid records', problems });
    const total = ctx.accounts.add(key, resource, records as Record<string, unknown>[]);
    reply.code(201);
    return { added: records.length, total };
  });

  app.get('/__emulator/connections/:id/stripe/:resource', async (request, reply) => {
    const { id, resource } = request.params as { id: string; resource: string };
    const key = stripeKeyOf(id);
    if (key === undefined) {
      reply.code(404);
      return { error: `no base connection with id ${id} in any org or sandbox` };
    }
    if (!isStripeResourcePath(resource)) return bad(reply, { error: `resource must be one of ${STRIPE_RESOURCE_PATHS.join(', ')}` });
    const query = request.query as Record<string, string | undefined>;
    const from = Number(query.from);
    const to = Number(query.to);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to <= from || to - from > MAX_LISTED_WINDOW_SECONDS) {
      return bad(reply, { error: `from and to must be epoch seconds, from < to, at most ${MAX_LISTED_WINDOW_SECONDS / 86400} days apart` });
    }
    const records = ctx.accounts.recordsBetween(resource, from, to, key);
    return { resource, from, to, count: records.length, records };
  });

  app.get('/__emulator/resources', async () => {
    ctx.runs.catchUp();
    return {
      partitions: ctx.store.allPartitions().map((p) => ({
        orgId: p.orgId,
        sandboxName: p.sandboxName,
        connections: p.connections.size,
        sourceConnections: p.sourceConnections.size,
        targetConnections: p.targetConnections.size,
        flows: p.flows.size,
        runs: p.runs.size,
        mappingSets: p.mappingSets.size,
        datasets: p.datasets.size,
        batches: p.batches.size,
        schemas: p.xdm.schemas.size,
        fieldGroups: p.xdm.fieldGroups.size,
        classes: p.xdm.classes.size,
      })),
    };
  });
}

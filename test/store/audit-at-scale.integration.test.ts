import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { runAuditExport } from '../../src/cli/audit-export.js';
import type { AuditAction } from '../../src/domain/audit-actions.js';
import type { ResourceType } from '../../src/domain/resource-types.js';
import { auditContent, auditContentV3, auditLink } from '../../src/store/audit-content.js';
import type { NewAuditEvent } from '../../src/store/operation-ledger.js';
import { TestStack } from '../gateway/support/stack.js';

interface Row {
  id: string;
  seq: string;
  at: Date;
  sandbox: string;
  actor: string;
  action: string;
  resource_type: string;
  resource_id: string;
}

interface Filter {
  resourceType?: ResourceType;
  resourceId?: string;
  actor?: string;
  action?: AuditAction;
  since?: string;
  until?: string;
}

const PAGE = 7;
const LIST = `query($first: Int, $last: Int, $after: String, $before: String, $filter: AuditEventFilter) {
  auditEvents(first: $first, last: $last, after: $after, before: $before, filter: $filter) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id } } } }`;

/** Every subset of the filters, each given a value that matches some events and not others. */
function combinations(values: Required<Pick<Filter, 'resourceType' | 'resourceId' | 'actor' | 'action'>> & { since: string; until: string }): Filter[] {
  const keys = ['resourceType', 'resourceId', 'actor', 'action', 'time'] as const;
  return Array.from({ length: 1 << keys.length }, (_, mask) => {
    const filter: Filter = {};
    keys.forEach((key, bit) => {
      if (!(mask & (1 << bit))) return;
      if (key === 'time') Object.assign(filter, { since: values.since, until: values.until });
      else Object.assign(filter, { [key]: values[key] });
    });
    return filter;
  });
}

/** The naive scan: every event of the sandbox, filtered and sorted in JavaScript. */
function naive(rows: Row[], filter: Filter): string[] {
  return rows
    .filter(
      (r) =>
        r.sandbox === 'prod' &&
        (!filter.resourceType || r.resource_type === filter.resourceType) &&
        (!filter.resourceId || r.resource_id === filter.resourceId) &&
        (!filter.actor || r.actor === filter.actor) &&
        (!filter.action || r.action === filter.action) &&
        (!filter.since || r.at.getTime() >= Date.parse(filter.since)) &&
        (!filter.until || r.at.getTime() <= Date.parse(filter.until)),
    )
    .sort((a, b) => b.at.getTime() - a.at.getTime() || Number(BigInt(b.seq) - BigInt(a.seq)))
    .map((r) => r.id);
}

describe('the audit trail at scale', () => {
  let stack: TestStack;
  const resources = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
  const types: ResourceType[] = ['CONNECTION', 'DATAFLOW'];
  const actors = ['apikey:alice', 'apikey:bob', 'jwt:carol'];
  const actions: AuditAction[] = ['CREATED', 'UPDATED', 'DELETED'];
  const batchTimes: Date[] = [];

  const all = () => stack.sql<Row>('SELECT id, seq::text AS seq, at, sandbox, actor, action, resource_type::text, resource_id FROM audit_events');
  /** Events written through the ledger (the real write path): one statement (one transaction, one `at`) per batch. */
  const writeBatch = async (n: number, offset: number, actor?: string) => {
    const events: NewAuditEvent[] = Array.from({ length: n }, (_, i) => {
      const k = offset + i;
      const resource = k % resources.length;
      return {
        sandbox: k % 9 === 0 ? 'dev' : 'prod',
        actor: actor ?? actors[k % actors.length]!,
        action: actions[(k >> 1) % actions.length]!,
        resourceType: types[resource % 2]!,
        resourceId: resources[resource]!,
        after: { name: `event ${k}`, n: k },
      };
    });
    await stack.process.deps.store.ledger.appendAudits(events);
  };

  before(async () => {
    stack = await TestStack.start({ env: { AUDIT_EXACT_COUNT_LIMIT: '40' } });
    for (let batch = 0; batch < 8; batch++) {
      await writeBatch(20, batch * 20);
      batchTimes.push((await stack.sqlRow<{ at: Date }>('SELECT max(at) AS at FROM audit_events')).at);
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
  });
  after(() => stack.stop());

  describe('auditEvents', () => {
    it('returns exactly what a naive scan returns for every filter combination, paging forward and backward across page boundaries while events are being written', async () => {
      const snapshot = await all();
      const filters = combinations({
        resourceType: 'CONNECTION',
        resourceId: resources[2]!,
        actor: 'apikey:bob',
        action: 'UPDATED',
        since: batchTimes[2]!.toISOString(),
        until: batchTimes[5]!.toISOString(),
      });
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await writeBatch(3, 10_000 + written);
          written += 3;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      try {
        for (const filter of filters) {
          const expected = naive(snapshot, filter);
          const label = JSON.stringify(filter);
          // Forward from the newest: events written since the snapshot are the newest, so they can only open the list.
          const forward: string[] = [];
          let after: string | null = null;
          for (;;) {
            const page: any = (await stack.data(LIST, { first: PAGE, after, filter })).auditEvents;
            forward.push(...page.edges.map((e: any) => e.node.id as string));
            assert.equal(page.pageInfo.hasPreviousPage, after !== null, `${label}: hasPreviousPage`);
            if (!page.pageInfo.hasNextPage) break;
            after = page.pageInfo.endCursor;
          }
          const known = new Set(snapshot.map((r) => r.id));
          const news = forward.filter((id) => !known.has(id));
          assert.deepEqual(forward.slice(0, news.length), news, `${label}: events written meanwhile come first (newest)`);
          assert.deepEqual(
            forward.filter((id) => known.has(id)),
            expected,
            `${label}: forward pages`,
          );
          // Backward from the oldest: the last pages reach events written meanwhile, which are all newer.
          const backward: string[] = [];
          let beforeCursor: string | null = null;
          for (;;) {
            const page: any = (await stack.data(LIST, { last: PAGE, before: beforeCursor, filter })).auditEvents;
            backward.unshift(...page.edges.map((e: any) => e.node.id as string));
            if (!page.pageInfo.hasPreviousPage) break;
            assert.equal(page.pageInfo.hasNextPage, beforeCursor !== null, `${label}: hasNextPage going backward`);
            beforeCursor = page.pageInfo.startCursor;
          }
          const newer = backward.filter((id) => !known.has(id));
          assert.deepEqual(
            backward.filter((id) => !newer.includes(id)),
            expected,
            `${label}: backward pages`,
          );
          assert.deepEqual(backward.slice(0, newer.length), newer, `${label}: events written meanwhile come first (newest)`);
        }
      } finally {
        writing = false;
        await writer;
      }
      assert.ok(written > 0, 'events were written while paging');
    });

    it('counts only when totalCount is selected: exact up to AUDIT_EXACT_COUNT_LIMIT, then an estimate it says is one', async () => {
      const count = async (filter: Filter) =>
        (await stack.data('query($filter: AuditEventFilter) { auditEvents(first: 1, filter: $filter) { totalCount totalCountIsEstimate } }', { filter })).auditEvents;
      const rows = await all();
      const few: Filter = { actor: 'apikey:alice', resourceId: resources[1]!, action: 'CREATED' };
      assert.deepEqual(await count(few), { totalCount: naive(rows, few).length, totalCountIsEstimate: false });
      assert.ok(naive(rows, few).length <= 40);
      const many = await count({});
      assert.equal(many.totalCountIsEstimate, true);
      assert.ok(many.totalCount > 40, `an estimate above the limit, got ${many.totalCount}`);
    });
  });

  describe('the archive', () => {
    it('detaches a month to the archive schema, and the chain still verifies across it with the month’s recorded head; the archived month verifies on its own until someone edits it', async () => {
      // A backfilled month (explicit times in 2024): the archive seals everything before detaching it.
      await stack.sql("SELECT flowgate_audit_partition('2024-03-01')");
      await stack.sql(`INSERT INTO audit_events (id, at, sandbox, actor, action, resource_type, resource_id, after)
                       SELECT gen_random_uuid(), '2024-03-10T12:00:00Z'::timestamptz + g * interval '1 minute', 'prod', 'import', 'CREATED', 'CONNECTION', gen_random_uuid(), jsonb_build_object('n', g)
                       FROM generate_series(1, 30) g`);
      await writeBatch(5, 20_000);
      const archive = stack.process.deps.store.auditArchive;
      assert.equal(await archive.archiveMonth('2024-03-01'), 30);
      await writeBatch(5, 20_010);
      const [month] = await archive.archivedMonths();
      assert.equal(month!.month, '2024-03-01');
      assert.equal(month!.events, 30);
      assert.match(month!.headHash!, /^[0-9a-f]{64}$/);
      assert.equal((await stack.sql("SELECT 1 FROM pg_inherits WHERE inhrelid = 'audit_archive.audit_events_2024_03'::regclass")).length, 0, 'no longer a partition');

      const { verifyAuditChain } = await stack.data('{ verifyAuditChain { ok reason archivedEvents unsealedEvents checkedEvents } }');
      assert.equal(verifyAuditChain.ok, true, verifyAuditChain.reason);
      assert.equal(verifyAuditChain.archivedEvents, 30);
      assert.equal(verifyAuditChain.unsealedEvents, 0);
      assert.deepEqual(await archive.verifyArchivedMonth('2024-03-01'), { ok: true, month: '2024-03-01', checkedEvents: 30, reason: null });

      const owner = new Client({ connectionString: stack.config.databaseUrl });
      await owner.connect();
      try {
        await owner.query(`UPDATE audit_archive.audit_events_2024_03 SET actor = 'mallory' WHERE actor = 'import' AND after::jsonb->>'n' = '7'`);
        const report = await archive.verifyArchivedMonth('2024-03-01');
        assert.equal(report.ok, false);
        assert.match(report.reason!, /does not match its hash/);
        await owner.query(`UPDATE audit_archive.audit_events_2024_03 SET actor = 'import' WHERE actor = 'mallory'`);
        // The live chain cannot be shortened behind the archive's back either: the segment is what it steps over.
        await owner.query('SET session_replication_role = replica');
        await owner.query('CREATE TEMP TABLE kept AS SELECT * FROM audit_archive_segments');
        await owner.query("UPDATE audit_archive_segments SET hash = '\\x00'");
        assert.equal((await stack.data('{ verifyAuditChain { ok } }')).verifyAuditChain.ok, false);
        await owner.query('DELETE FROM audit_archive_segments');
        await owner.query('INSERT INTO audit_archive_segments SELECT * FROM kept');
        assert.equal((await stack.data('{ verifyAuditChain { ok } }')).verifyAuditChain.ok, true);
      } finally {
        await owner.end();
      }
    });

    it('detaches the months past AUDIT_RETENTION_DAYS and keeps the others', async () => {
      await stack.sql("SELECT flowgate_audit_partition('2024-05-01')");
      await stack.sql(`INSERT INTO audit_events (id, at, sandbox, actor, action, resource_type, resource_id)
                       SELECT gen_random_uuid(), '2024-05-02T00:00:00Z', 'prod', 'import', 'CREATED', 'CONNECTION', gen_random_uuid() FROM generate_series(1, 3)`);
      const archive = stack.process.deps.store.auditArchive;
      const now = new Date('2024-07-15T00:00:00Z');
      // May ended 45 days before `now`: kept with 60 days, archived with 30.
      assert.deepEqual(await archive.archiveExpired(60, now), []);
      assert.deepEqual(await archive.archiveExpired(30, now), ['2024-05-01']);
      assert.ok((await archive.liveMonths()).every((m) => m > '2024-05-01'));
      assert.equal((await stack.data('{ verifyAuditChain { ok archivedEvents } }')).verifyAuditChain.archivedEvents, 33);
    });
  });

  describe('npm run audit:export', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fg-audit-export-'));
    const cli = async (...argv: string[]) => {
      const lines: string[] = [];
      const code = await runAuditExport(argv, { DATABASE_URL: stack.config.databaseUrl }, { log: (l) => lines.push(l), error: (l) => lines.push(l) });
      return { code, output: lines.join('\n') };
    };

    it('hashes what PostgreSQL hashes, for awkward values too', async () => {
      const awkward = { 'ü-key': 'naïve "quoted" \\ back\nslash\ttab \u0001 ☃', b: [1.5, -0.25, 1e21, 1e-7, 12345678901234, true, null, { zz: 1, a: { c: 2, bb: [] } }], aa: {} };
      await stack.process.deps.store.ledger.appendAudit({
        sandbox: 'prod',
        actor: 'jwt:ünïcode',
        action: 'UPDATED',
        resourceType: 'CONNECTION',
        resourceId: randomUUID(),
        before: { x: 1 },
        after: awkward,
      });
      const [row] = await stack.sql<any>(
        `SELECT flowgate_audit_content(e) AS content, flowgate_audit_content_v3(e) AS content_v3, e.id, e.seq::text AS seq, e.at, e.sandbox, e.actor, e.action, e.resource_type::text, e.resource_id, e.platform_id, e.etag_before, e.etag_after,
                e.changes, e.before, e.after, e.operation_id, e.request_id FROM audit_events e WHERE actor = 'jwt:ünïcode'`,
      );
      const event = {
        id: row.id,
        seq: row.seq,
        at: row.at,
        sandbox: row.sandbox,
        actor: row.actor,
        action: row.action,
        resourceType: row.resource_type,
        resourceId: row.resource_id,
        platformId: row.platform_id,
        etagBefore: row.etag_before,
        etagAfter: row.etag_after,
        changes: JSON.parse(row.changes),
        before: JSON.parse(row.before),
        after: JSON.parse(row.after),
        operationId: row.operation_id,
        requestId: row.request_id,
      };
      assert.equal(auditContent(event), row.content);
      assert.equal(auditContentV3(event), row.content_v3);
      const [link] = await stack.sql<{ digest: Buffer; prev_hash: Buffer; hash: Buffer; version: number }>('SELECT digest, prev_hash, hash, version FROM audit_chain WHERE event_id = $1', [row.id]);
      if (link) {
        assert.equal(link.version, 3);
        const computed = auditLink(link.prev_hash, event, 3);
        assert.ok(computed.digest.equals(link.digest));
        assert.ok(computed.hash.equals(link.hash));
      }
    });

    for (const format of ['jsonl', 'csv'] as const) {
      it(`exports a time range as ${format} with the events' hashes, and verify finds the file intact — and catches an edited line`, async () => {
        await stack.process.deps.store.auditSealer.sealPending();
        const file = path.join(dir, `export.${format}`);
        const since = new Date(Date.now() - 3_600_000).toISOString();
        const until = new Date(Date.now() + 60_000).toISOString();
        const exported = await cli('--since', since, '--until', until, '--format', format, '--out', file);
        assert.equal(exported.code, 0, exported.output);
        const live = (await stack.sqlRow<{ n: string }>(`SELECT count(*)::text AS n FROM audit_chain WHERE event_at BETWEEN $1 AND $2`, [since, until])).n;
        assert.match(exported.output, new RegExp(`exported ${live} event`));
        const verified = await cli('verify', file, '--format', format);
        assert.equal(verified.code, 0, verified.output);
        assert.match(verified.output, new RegExp(`ok: ${live} event`));

        const lines = readFileSync(file, 'utf8').split('\n');
        const target = lines.findIndex((l) => l.includes('apikey:bob'));
        const edited = [...lines];
        edited[target] = edited[target]!.replace('apikey:bob', 'apikey:eve');
        writeFileSync(file, edited.join('\n'));
        const caught = await cli('verify', file, '--format', format);
        assert.equal(caught.code, 1);
        assert.match(caught.output, new RegExp(`line ${target + 1}: .*does not match its digest`));

        if (format === 'jsonl') {
          const removed = lines.filter((_, i) => i !== target);
          writeFileSync(file, removed.join('\n'));
          const gap = await cli('verify', file);
          assert.equal(gap.code, 1);
          assert.match(gap.output, /missing \(lines were removed\)/);
        }
      });
    }

    it('exports one sandbox: its events only, with gaps in the chain positions that verify accepts', async () => {
      const file = path.join(dir, 'dev.jsonl');
      const exported = await cli('--since', '2020-01-01T00:00:00Z', '--until', new Date(Date.now() + 60_000).toISOString(), '--sandbox', 'dev', '--out', file);
      assert.equal(exported.code, 0, exported.output);
      const events = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"event"'))
        .map((l) => JSON.parse(l));
      assert.ok(events.length > 0);
      assert.ok(events.every((e) => e.event.sandbox === 'dev'));
      const verified = await cli('verify', file);
      assert.equal(verified.code, 0, verified.output);
      assert.match(verified.output, /gap/);
    });

    it('refuses bad arguments with usage and exit status 2', async () => {
      assert.equal((await cli('--since', 'yesterday', '--until', '2030-01-01')).code, 2);
      assert.equal((await cli('--since', '2030-01-01', '--until', '2020-01-01')).code, 2);
      assert.equal((await cli('--format', 'xml', '--since', '2020-01-01', '--until', '2030-01-01')).code, 2);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auditLink, type AuditContent, type AuditDigestVersion } from '../../src/store/audit-content.js';
import { CSV_COLUMNS, verifyExport } from '../../src/store/audit-export.js';

/**
 * `npm run audit:export -- verify` on files written before digest version 3 (no `version` field in
 * JSON Lines, no `version` column in CSV: every row version 2), on a chain that moves from version
 * 2 to 3 (the audit_digest_v3 migration keeps older links as they were), and on a line that names a
 * version no verifier knows. Pure: the lines are built here with the chain's own link function.
 */

const GENESIS = Buffer.alloc(32);

function event(n: number): AuditContent {
  return {
    id: `00000000-0000-4000-8000-00000000000${n}`,
    seq: String(n),
    at: new Date(Date.UTC(2026, 11, 1, 12, 0, n)),
    sandbox: 'prod',
    actor: 'apikey:auditor',
    action: 'UPDATED',
    resourceType: 'DATAFLOW',
    resourceId: `10000000-0000-4000-8000-00000000000${n}`,
    platformId: `flow-${n}`,
    etagBefore: `"${n}"`,
    etagAfter: `"${n + 1}"`,
    changes: [{ field: 'state', before: 'ENABLED', after: 'DISABLED' }],
    before: { state: 'ENABLED' },
    after: { state: 'DISABLED' },
    operationId: null,
    requestId: `req-${n}`,
  };
}

/** Chain rows for events 1..versions.length, linked with the versions given, in order. */
function chain(versions: AuditDigestVersion[]): { chainSeq: string; prevHash: string; hash: string; digest: string; version: AuditDigestVersion; event: AuditContent }[] {
  let prev: Buffer = GENESIS;
  return versions.map((version, i) => {
    const e = event(i + 1);
    const link = auditLink(prev, e, version);
    const row = { chainSeq: String(i + 1), prevHash: prev.toString('hex'), hash: link.hash.toString('hex'), digest: link.digest.toString('hex'), version, event: e };
    prev = link.hash;
    return row;
  });
}

async function* linesOf(text: string[]): AsyncIterable<string> {
  yield* text;
}

const HEADER = (version: number) => JSON.stringify({ type: 'audit-export', version, since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z', sandbox: null });

function jsonl(rows: ReturnType<typeof chain>, withVersion: boolean): string[] {
  return [
    HEADER(withVersion ? 3 : 2),
    ...rows.map(({ version, event: e, ...row }) => JSON.stringify({ ...row, ...(withVersion ? { version } : {}), event: { ...e, at: e.at.toISOString() } })),
    JSON.stringify({ type: 'end', events: rows.length }),
  ];
}

describe('verifying exports of older digest versions', () => {
  it('accepts a JSON Lines file written before version 3 (no version field: version 2), and catches an edited line in it', async () => {
    const lines = jsonl(chain([2, 2, 2]), false);
    assert.deepEqual(await verifyExport(linesOf(lines), 'jsonl'), { ok: true, events: 3, gaps: 0, firstProblem: null });

    const edited = [...lines];
    edited[2] = edited[2]!.replace('apikey:auditor', 'apikey:someone-else');
    const result = await verifyExport(linesOf(edited), 'jsonl');
    assert.equal(result.ok, false);
    assert.deepEqual(result.firstProblem, { line: 3, reason: 'event at chain position 2 does not match its digest (the line was changed)' });
  });

  it('accepts a CSV file written before version 3 (its header has no version column)', async () => {
    const cell = (value: string | null) => (value === null ? '' : `"${value.replace(/"/g, '""')}"`);
    const columns = CSV_COLUMNS.filter((c) => c !== 'version');
    const rows = chain([2, 2]).map((r) => {
      const e = r.event;
      const cells: Record<string, string> = {
        chain_seq: r.chainSeq,
        prev_hash: r.prevHash,
        hash: r.hash,
        digest: r.digest,
        id: e.id,
        seq: e.seq,
        at: e.at.toISOString(),
        sandbox: cell(e.sandbox),
        actor: cell(e.actor),
        action: cell(e.action),
        resource_type: e.resourceType,
        resource_id: e.resourceId,
        platform_id: cell(e.platformId),
        etag_before: cell(e.etagBefore),
        etag_after: cell(e.etagAfter),
        changes: cell(JSON.stringify(e.changes)),
        before: cell(JSON.stringify(e.before)),
        after: cell(JSON.stringify(e.after)),
        operation_id: '',
        request_id: cell(e.requestId),
      };
      return columns.map((c) => cells[c]).join(',');
    });
    assert.deepEqual(await verifyExport(linesOf([columns.join(','), ...rows]), 'csv'), { ok: true, events: 2, gaps: 0, firstProblem: null });
  });

  it('accepts a chain whose links move from version 2 to version 3, as the migration left it', async () => {
    assert.deepEqual(await verifyExport(linesOf(jsonl(chain([2, 2, 3, 3]), true)), 'jsonl'), { ok: true, events: 4, gaps: 0, firstProblem: null });
  });

  it('refuses a line naming a digest version it does not know, naming the version', async () => {
    const lines = jsonl(chain([3, 3]), true);
    lines[2] = lines[2]!.replace('"version":3', '"version":4');
    const result = await verifyExport(linesOf(lines), 'jsonl');
    assert.deepEqual(result.firstProblem, { line: 3, reason: 'digest version 4 is not one this verifier knows' });
  });
});

import type pg from 'pg';
import { auditLink, type AuditContent, type AuditDigestVersion } from './audit-content.js';
import { auditEventFromRow, type AuditEventColumns } from './audit.store.js';

/** What to export: events whose `at` lies in [since, until], optionally of one sandbox. */
export interface AuditExportFilter {
  since: Date;
  until: Date;
  sandbox: string | null;
}

export type AuditExportFormat = 'jsonl' | 'csv';

/** One exported event with its place in the hash chain. */
export interface ExportedEvent {
  chainSeq: string;
  prevHash: string;
  hash: string;
  digest: string;
  /** How the chain row was linked (see audit-content.ts); absent in files exported before version 3: 2. */
  version?: AuditDigestVersion;
  event: AuditContent;
}

/** The CSV columns, in order (JSON columns as JSON text; an empty unquoted cell is null). */
export const CSV_COLUMNS = [
  'chain_seq',
  'prev_hash',
  'hash',
  'digest',
  'version',
  'id',
  'seq',
  'at',
  'sandbox',
  'actor',
  'action',
  'resource_type',
  'resource_id',
  'platform_id',
  'etag_before',
  'etag_after',
  'changes',
  'before',
  'after',
  'operation_id',
  'request_id',
] as const;

/** The CSV header of files exported before digest version 3: no version column, every row version 2. */
const CSV_COLUMNS_V2 = CSV_COLUMNS.filter((c) => c !== 'version');

/** An event with its chain row, as the export reads it. */
type ExportRow = Omit<AuditEventColumns, 'chain_seq' | 'prev_hash' | 'hash'> & { chain_seq: string; prev_hash: Buffer; hash: Buffer; digest: Buffer; version: AuditDigestVersion };

/**
 * Streams the sealed events of a time range in chain order, `batchSize` per query (keyset on the
 * chain position, so memory stays constant whatever the range), as JSON Lines (a header line,
 * one line per event, a gap line where the chain holds events outside the range, an end line with
 * the count) or CSV (a header row, one row per event).
 * `write` returns a promise that resolves when the consumer can take more (backpressure).
 * Returns the number of events written.
 */
export async function exportAuditEvents(pool: pg.Pool, filter: AuditExportFilter, format: AuditExportFormat, write: (chunk: string) => Promise<void>, batchSize = 5000): Promise<number> {
  // The chain positions of the range, found through the time index; the walk below is by position.
  const bounds = (
    await pool.query<{ first: string | null; last: string | null }>('SELECT (min(chain_seq) - 1)::text AS first, max(chain_seq)::text AS last FROM audit_chain WHERE event_at BETWEEN $1 AND $2', [
      filter.since,
      filter.until,
    ])
  ).rows[0]!;
  await write(
    format === 'jsonl'
      ? `${JSON.stringify({ type: 'audit-export', version: 3, since: filter.since.toISOString(), until: filter.until.toISOString(), sandbox: filter.sandbox })}\n`
      : `${CSV_COLUMNS.join(',')}\n`,
  );
  let count = 0;
  let after = bounds.first;
  let previous: string | null = null;
  while (after !== null && bounds.last !== null && BigInt(after) < BigInt(bounds.last)) {
    const { rows } = await pool.query<ExportRow>({
      name: 'fg_audit_export',
      text: `SELECT c.chain_seq::text, c.prev_hash, c.hash, c.digest, c.version, e.id, e.seq::text, e.at, e.sandbox, e.actor, e.action, e.resource_type, e.resource_id, e.platform_id,
                    e.etag_before, e.etag_after, e.changes, e.before, e.after, e.operation_id, e.request_id
             FROM audit_chain c JOIN audit_events e ON e.id = c.event_id AND e.at = c.event_at
             WHERE c.chain_seq > $1::bigint AND c.chain_seq <= $2::bigint AND c.event_at BETWEEN $3 AND $4 AND ($5::text IS NULL OR e.sandbox = $5)
             ORDER BY c.chain_seq LIMIT $6`,
      values: [after, bounds.last, filter.since, filter.until, filter.sandbox, batchSize],
    });
    if (rows.length === 0) break;
    let chunk = '';
    for (const row of rows) {
      // Positions in between belong to events outside the range (written with older times, or
      // archived): said so in the file, so that verify can tell them from removed lines.
      if (format === 'jsonl' && filter.sandbox === null && previous !== null && BigInt(row.chain_seq) !== BigInt(previous) + 1n) {
        chunk += `${JSON.stringify({ type: 'gap', after: previous, next: row.chain_seq, reason: 'events outside the time range' })}\n`;
      }
      chunk += format === 'jsonl' ? jsonLine(row) : csvLine(row);
      previous = row.chain_seq;
    }
    await write(chunk);
    count += rows.length;
    after = rows.at(-1)!.chain_seq;
  }
  if (format === 'jsonl') await write(`${JSON.stringify({ type: 'end', events: count })}\n`);
  return count;
}

function contentOf({ digest: _digest, version: _version, ...row }: ExportRow): AuditContent {
  // The content columns only (the chain's own columns are written beside the event).
  const { chainSeq: _chainSeq, prevHash: _prevHash, hash: _hash, ...event } = auditEventFromRow(row);
  return { ...event, seq: row.seq };
}

function jsonLine(row: ExportRow): string {
  const event = contentOf(row);
  return `${JSON.stringify({ chainSeq: row.chain_seq, prevHash: row.prev_hash.toString('hex'), hash: row.hash.toString('hex'), digest: row.digest.toString('hex'), version: row.version, event: { ...event, at: event.at.toISOString() } })}\n`;
}

function csvLine(row: ExportRow): string {
  const cell = (value: string | null) => (value === null ? '' : `"${value.replace(/"/g, '""')}"`);
  return `${[
    row.chain_seq,
    row.prev_hash.toString('hex'),
    row.hash.toString('hex'),
    row.digest.toString('hex'),
    row.version,
    row.id,
    row.seq,
    row.at.toISOString(),
    cell(row.sandbox),
    cell(row.actor),
    cell(row.action),
    row.resource_type,
    row.resource_id,
    cell(row.platform_id),
    cell(row.etag_before),
    cell(row.etag_after),
    // The JSON text as stored (see audit.store.ts).
    cell(row.changes),
    cell(row.before),
    cell(row.after),
    row.operation_id ?? '',
    cell(row.request_id),
  ].join(',')}\n`;
}

/** What verifying an exported file found. */
export interface ExportVerification {
  ok: boolean;
  events: number;
  /** Places where the next event is not the next chain position (other sandboxes' events, when filtered by sandbox). */
  gaps: number;
  /** The first problem: its line number and why. */
  firstProblem: { line: number; reason: string } | null;
}

/**
 * Checks an export offline, line by line (constant memory): each event's content has the digest
 * the chain recorded, each hash follows from its link and digest, consecutive chain positions
 * link hash to hash, and — for JSON Lines — the end line's count matches and a file exported
 * without a sandbox filter has no gaps.
 */
export async function verifyExport(lines: AsyncIterable<string>, format: AuditExportFormat): Promise<ExportVerification> {
  let lineNo = 0;
  let events = 0;
  let gaps = 0;
  let previous: { chainSeq: bigint; hash: Buffer } | null = null;
  let sandboxFiltered = format === 'csv';
  let csvColumns: readonly string[] = CSV_COLUMNS;
  let ended: number | null = null;
  /** The chain position the next event may jump to (a gap line the exporter wrote). */
  let declaredGap: string | null = null;
  const fail = (reason: string): ExportVerification => ({ ok: false, events, gaps, firstProblem: { line: lineNo, reason } });
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    if (ended !== null) return fail('lines after the end line');
    let entry: ExportedEvent;
    if (format === 'jsonl') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return fail('not a JSON line');
      }
      const record = parsed as { type?: string; sandbox?: string | null; events?: number } & Partial<ExportedEvent>;
      if (lineNo === 1) {
        if (record.type !== 'audit-export') return fail('the first line is not an audit export header');
        sandboxFiltered = record.sandbox !== null && record.sandbox !== undefined;
        continue;
      }
      if (record.type === 'end') {
        ended = record.events ?? -1;
        continue;
      }
      if (record.type === 'gap') {
        const gap = record as { after?: string; next?: string };
        if (!previous || gap.after !== previous.chainSeq.toString()) return fail('a gap line that does not follow the line before it');
        declaredGap = gap.next ?? null;
        continue;
      }
      if (!record.event || typeof record.chainSeq !== 'string') return fail('not an exported event');
      entry = { ...(record as ExportedEvent), event: { ...record.event, at: new Date(record.event.at) } };
    } else {
      if (lineNo === 1) {
        if (line === CSV_COLUMNS_V2.join(',')) csvColumns = CSV_COLUMNS_V2;
        else if (line !== CSV_COLUMNS.join(',')) return fail('the first line is not the CSV header');
        continue;
      }
      const cells = parseCsvLine(line);
      if (!cells || cells.length !== csvColumns.length) return fail(`not a row of ${csvColumns.length} cells`);
      entry = csvEntry(cells, csvColumns);
    }
    events++;
    const prevHash = Buffer.from(entry.prevHash, 'hex');
    const version = entry.version ?? 2;
    if (version !== 2 && version !== 3) return fail(`digest version ${String(version)} is not one this verifier knows`);
    let link: { digest: Buffer; hash: Buffer };
    try {
      // Version 3 links hash the content itself; the digest only tells which side changed.
      link = auditLink(prevHash, entry.event, version);
    } catch {
      return fail('the event is not well-formed');
    }
    const digest = link.digest.toString('hex');
    if (link.hash.toString('hex') !== entry.hash || (version === 2 && digest !== entry.digest)) {
      return fail(
        digest !== entry.digest
          ? `event at chain position ${entry.chainSeq} does not match its digest (the line was changed)`
          : `the hash at chain position ${entry.chainSeq} does not follow from its link and digest`,
      );
    }
    const position = BigInt(entry.chainSeq);
    if (previous) {
      if (position <= previous.chainSeq) return fail(`chain position ${position} is out of order`);
      if (position === previous.chainSeq + 1n) {
        if (!prevHash.equals(previous.hash)) return fail(`event at chain position ${position} does not link to the line before it`);
      } else {
        gaps++;
        if (!sandboxFiltered && declaredGap !== position.toString()) return fail(`chain positions ${previous.chainSeq + 1n}..${position - 1n} are missing (lines were removed)`);
      }
    }
    previous = { chainSeq: position, hash: Buffer.from(entry.hash, 'hex') };
    declaredGap = null;
  }
  if (format === 'jsonl' && ended === null) return fail('the end line is missing (the file was cut short)');
  if (ended !== null && ended !== events) return fail(`the end line counts ${ended} events, the file holds ${events}`);
  return { ok: true, events, gaps, firstProblem: null };
}

function csvEntry(cells: (string | null)[], columns: readonly string[]): ExportedEvent {
  const at = (name: (typeof CSV_COLUMNS)[number]) => (columns.includes(name) ? (cells[columns.indexOf(name)] ?? null) : null);
  const text = (name: (typeof CSV_COLUMNS)[number]) => at(name) ?? '';
  const json = (name: (typeof CSV_COLUMNS)[number]): unknown => {
    const value = at(name);
    return value === null ? null : (JSON.parse(value) as unknown);
  };
  return {
    chainSeq: text('chain_seq'),
    prevHash: text('prev_hash'),
    hash: text('hash'),
    digest: text('digest'),
    version: at('version') === null ? 2 : (Number(at('version')) as AuditDigestVersion),
    event: {
      id: text('id'),
      seq: text('seq'),
      at: new Date(text('at')),
      sandbox: text('sandbox'),
      actor: text('actor'),
      action: text('action'),
      resourceType: text('resource_type'),
      resourceId: text('resource_id'),
      platformId: at('platform_id'),
      etagBefore: at('etag_before'),
      etagAfter: at('etag_after'),
      changes: json('changes'),
      before: json('before'),
      after: json('after'),
      operationId: at('operation_id') || null,
      requestId: at('request_id'),
    },
  };
}

/** One CSV line's cells: a quoted cell is text ("" escapes a quote), an empty unquoted cell is null. Null when malformed. */
function parseCsvLine(line: string): (string | null)[] | null {
  const cells: (string | null)[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const end = line.indexOf('"', i);
        if (end < 0) return null;
        value += line.slice(i, end);
        if (line[end + 1] === '"') {
          value += '"';
          i = end + 2;
        } else {
          i = end + 1;
          break;
        }
      }
      cells.push(value);
    } else {
      const end = line.indexOf(',', i);
      const raw = end < 0 ? line.slice(i) : line.slice(i, end);
      cells.push(raw === '' ? null : raw);
      i = end < 0 ? line.length : end;
    }
    if (i >= line.length) return cells;
    if (line[i] !== ',') return null;
    i++;
  }
}

import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { Pool } from 'pg';
import { exportAuditEvents, verifyExport, type AuditExportFormat } from '../store/audit-export.js';
import { loadCliConfig, runAsMain, type CliOutput } from './cli.js';

export const USAGE = `Usage: npm run audit:export -- --since TIME --until TIME [--sandbox NAME] [--format jsonl|csv] [--out FILE]
       npm run audit:export -- verify FILE [--format jsonl|csv]

Exports the sealed audit events written between --since and --until (ISO 8601 times,
inclusive), in chain order, with each event's chain position, digest and hashes — streamed,
in constant memory — to FILE or stdout. \`verify\` re-checks such a file offline: every line's
content against its digest, every hash against its link, consecutive lines against each other.

  --format jsonl|csv   default jsonl (one JSON object per line, with a header and an end line)
  --sandbox NAME       only this sandbox's events (chain positions then have gaps)
  --out FILE           write here instead of stdout
  -h, --help           this text

Exit status: 0 done (verify: the file checks out), 1 failed (verify: it does not), 2 bad usage.`;

interface ExportArgs {
  mode: 'export';
  since: Date;
  until: Date;
  sandbox: string | null;
  format: AuditExportFormat;
  out: string | null;
}

interface VerifyArgs {
  mode: 'verify';
  file: string;
  format: AuditExportFormat;
}

function parseArgs(argv: string[]): ExportArgs | VerifyArgs | { mode: 'help' } | { mode: 'error'; message: string } {
  const values: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { mode: 'help' };
    const match = /^--(since|until|sandbox|format|out)(?:=(.*))?$/.exec(arg);
    if (match) {
      const value = match[2] ?? argv[++i];
      if (value === undefined) return { mode: 'error', message: `--${match[1]} needs a value` };
      values[match[1]!] = value;
    } else if (arg.startsWith('--')) return { mode: 'error', message: `unknown argument: ${arg}` };
    else positional.push(arg);
  }
  const format = values.format ?? (positional[1]?.endsWith('.csv') ? 'csv' : 'jsonl');
  if (format !== 'jsonl' && format !== 'csv') return { mode: 'error', message: '--format must be jsonl or csv' };
  if (positional[0] === 'verify') {
    if (positional.length !== 2) return { mode: 'error', message: 'verify needs one FILE' };
    return { mode: 'verify', file: positional[1]!, format };
  }
  if (positional.length > 0) return { mode: 'error', message: `unknown argument: ${positional[0]}` };
  const time = (name: 'since' | 'until') => {
    const value = values[name];
    const date = value === undefined ? null : new Date(value);
    return date && !Number.isNaN(date.getTime()) ? date : null;
  };
  const since = time('since');
  const until = time('until');
  if (!since || !until) return { mode: 'error', message: '--since and --until need ISO 8601 times' };
  if (since > until) return { mode: 'error', message: '--since must not be after --until' };
  return { mode: 'export', since, until, sandbox: values.sandbox ?? null, format, out: values.out ?? null };
}

/** `npm run audit:export`; returns the exit status. */
export async function runAuditExport(argv: string[], env: NodeJS.ProcessEnv, out: CliOutput, stdout: Writable = process.stdout): Promise<number> {
  const args = parseArgs(argv);
  if (args.mode === 'help') {
    out.log(USAGE);
    return 0;
  }
  if (args.mode === 'error') {
    out.error(`audit:export: ${args.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.mode === 'verify') {
    const lines = createInterface({ input: createReadStream(args.file, 'utf8'), crlfDelay: Infinity });
    const result = await verifyExport(lines, args.format);
    if (result.ok) {
      out.log(`ok: ${result.events} event(s) verified${result.gaps > 0 ? `, ${result.gaps} gap(s) in chain positions (other sandboxes)` : ''}`);
      return 0;
    }
    out.error(`audit:export verify: line ${result.firstProblem!.line}: ${result.firstProblem!.reason}`);
    return 1;
  }
  const config = loadCliConfig(env, (problem) => out.error(`audit:export: ${problem}`));
  if (!config) return 2;
  const pool = new Pool({ connectionString: config.databaseUrl, max: 1 });
  const target = args.out ? createWriteStream(args.out) : stdout;
  const write = async (chunk: string) => {
    if (!target.write(chunk)) await once(target, 'drain');
  };
  try {
    const count = await exportAuditEvents(pool, { since: args.since, until: args.until, sandbox: args.sandbox }, args.format, write);
    if (args.out) {
      target.end();
      await once(target, 'finish');
      out.log(`exported ${count} event(s) to ${args.out}`);
    }
    return 0;
  } catch (error) {
    out.error(`audit:export: failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runAsMain(() => runAuditExport(process.argv.slice(2), process.env, { log: (l) => console.error(l), error: (l) => console.error(l) }), 'audit:export: failed: ');
}

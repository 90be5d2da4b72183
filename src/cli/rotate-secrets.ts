import { Pool } from 'pg';
import { embeddedSecretKey } from '../config/embedded-secret-key.js';
import { SecretBox } from '../store/secret-box.js';
import { rotateSecrets, SECRET_KEY_COUNTS, UnknownSecretKeyError } from '../store/secret-rotation.js';
import { WebhookStore } from '../store/webhook.store.js';
import { loadCliConfig, runAsMain, type CliOutput } from './cli.js';

export const USAGE = `Usage: npm run secrets:rotate [-- [--batch-size N] [--dry-run]]

Re-encrypts every stored secret with the current key (FLOWGATE_SECRET_KEY, id
FLOWGATE_SECRET_KEY_ID), opening older ones with FLOWGATE_PREVIOUS_SECRET_KEYS (id:key,...).
Idempotent; refuses before changing anything if a secret uses a key id it does not have.

  --batch-size N   secrets re-encrypted per transaction (1-10000, default 500)
  --dry-run        only count secrets per key id
  -h, --help       this text

Exit status: 0 done, 1 refused or failed, 2 bad usage or configuration.`;

interface Args {
  batchSize: number;
  dryRun: boolean;
  help: boolean;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { batchSize: 500, dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') args.help = true;
    else if (arg === '--dry-run') args.dryRun = true;
    else if (arg === '--batch-size' || arg.startsWith('--batch-size=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 10_000) return '--batch-size needs a whole number from 1 to 10000';
      args.batchSize = Number(value);
    } else return `unknown argument: ${arg}`;
  }
  return args;
}

/** `npm run secrets:rotate`; returns the exit status. */
export async function runRotateSecrets(argv: string[], env: NodeJS.ProcessEnv, out: CliOutput): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    out.error(`secrets:rotate: ${args}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    out.log(USAGE);
    return 0;
  }
  const config = loadCliConfig(env, (problem) => out.error(`secrets:rotate: ${problem}`));
  if (!config) return 2;
  const current = config.secretKey ?? embeddedSecretKey(null, { create: false });
  if (!current) {
    out.error('secrets:rotate: no secret key: set FLOWGATE_SECRET_KEY (and FLOWGATE_SECRET_KEY_ID), or run where the embedded mode keeps .flowgate/local-secret.key');
    return 2;
  }
  const box = new SecretBox(current, config.previousSecretKeys);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2 });
  try {
    if (args.dryRun) {
      const { rows } = await pool.query<{ key_id: string; n: string }>(SECRET_KEY_COUNTS);
      for (const row of rows)
        out.log(`${row.key_id}: ${row.n} secret(s)${row.key_id === box.currentKeyId ? ' (current key)' : box.hasKey(row.key_id) ? ' (would be rotated)' : ' (UNKNOWN key: rotation would refuse)'}`);
      if (rows.length === 0) out.log('no secrets stored');
      return 0;
    }
    const report = await rotateSecrets({ pool, box, webhooks: new WebhookStore(pool), batchSize: args.batchSize, onBatch: (n) => out.log(`re-encrypted ${n} secret(s) so far`) });
    out.log(
      `done: ${report.rotated} secret(s) re-encrypted with key "${report.currentKeyId}", ${report.alreadyCurrent} already used it` +
        (report.skipped > 0 ? `, ${report.skipped} rotated meanwhile by another run` : ''),
    );
    return 0;
  } catch (error) {
    out.error(`secrets:rotate: ${error instanceof UnknownSecretKeyError ? error.message : `failed: ${(error as Error).message}`}`);
    return 1;
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  runAsMain(() => runRotateSecrets(process.argv.slice(2), process.env, { log: (l) => console.log(l), error: (l) => console.error(l) }), 'secrets:rotate: failed: ');
}

import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ApiKeyService } from '../auth/api-key.service.js';
import { ROLES } from '../auth/caller.js';
import { AppError } from '../errors/app-errors.js';
import { createLogger } from '../logging/logger.js';
import { EventBus, eventChannelPrefix } from '../pubsub/event-bus.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { applyMigrations, ensureDatabase } from '../store/migrations.js';
import { createDatabase } from '../store/prisma.js';
import { SecretBox } from '../store/secret-box.js';
import { Store } from '../store/store.js';
import { loadCliConfig, runAsMain } from './cli.js';

const USAGE = `Usage:
  npm run apikey -- create --name <name> --role <${ROLES.join('|')}> [--sandbox <name>]... [--expires <date>]
  npm run apikey -- list [--all]
  npm run apikey -- revoke (--name <name> | --id <id>)

Uses DATABASE_URL (and REDIS_URL, to tell running gateways about a revocation) like the app.`;

/** Wrong usage: exit code 2 with the usage text. */
class UsageError extends Error {}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `npm run apikey -- create|list|revoke`: manages API keys in the database the app uses
 * (migrations applied first). The created key is printed once; list never shows secrets.
 * Returns the exit code: 0 done, 1 refused (name taken, no such key), 2 bad arguments or configuration.
 */
export async function runApiKeyCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let command: string;
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        id: { type: 'string' },
        role: { type: 'string' },
        sandbox: { type: 'string', multiple: true },
        expires: { type: 'string' },
        all: { type: 'boolean' },
      },
    });
    if (parsed.positionals.length !== 1) throw new UsageError(parsed.positionals.length === 0 ? 'no command given' : `one command expected, got ${parsed.positionals.join(' ')}`);
    command = parsed.positionals[0]!; // exactly one, checked above
    values = parsed.values;
    checkArguments(command, values);
  } catch (error) {
    io.err(`apikey: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }

  const config = loadCliConfig(env, (problem) => io.err(`${problem}\n`));
  if (!config) return 2;

  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const database = createDatabase(config.databaseUrl, { poolSize: 2 });
  // Key management never touches Stripe secrets; the box is only there because Store wants one.
  const store = new Store(database, new SecretBox({ id: 'cli', key: Buffer.alloc(32) }));
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const actor = `cli:${env.USER ?? env.LOGNAME ?? 'unknown'}`;
  const redisConnections = new RedisConnections({ target: config, logger });
  try {
    switch (command) {
      case 'create': {
        const expiresAt = values.expires === undefined ? null : new Date(values.expires as string);
        const { row, key } = await new ApiKeyService({ store, bus: null, logger }).create(
          { name: values.name as string, role: values.role as string, sandboxes: (values.sandbox as string[] | undefined) ?? [], expiresAt },
          { actor, sandbox: config.platform.sandbox },
        );
        io.out(
          `Created API key "${row.name}" (role ${row.role}, sandboxes ${row.sandboxes.length ? row.sandboxes.join(', ') : 'any'}, expires ${row.expiresAt?.toISOString() ?? 'never'}).\n` +
            `${key}\n` +
            'It is shown only this once. Send it as `Authorization: Bearer <key>` (or `x-api-key: <key>`); over WebSocket as connectionParams { authorization: "Bearer <key>" }.\n',
        );
        return 0;
      }
      case 'list': {
        const rows = await store.apiKeys.list({ includeRevoked: values.all === true });
        if (rows.length === 0) io.out('No API keys.\n');
        for (const r of rows) {
          io.out(
            [
              r.name,
              `role=${r.role}`,
              `sandboxes=${r.sandboxes.length ? r.sandboxes.join(',') : 'any'}`,
              `prefix=fgk_${r.keyId}`,
              `created=${r.createdAt.toISOString()} by ${r.createdBy}`,
              `expires=${r.expiresAt?.toISOString() ?? 'never'}`,
              `lastUsed=${r.lastUsedAt?.toISOString() ?? 'never'}`,
              ...(r.revokedAt ? [`revoked=${r.revokedAt.toISOString()}`] : []),
            ].join('  ') + '\n',
          );
        }
        return 0;
      }
      case 'revoke': {
        const bus = new EventBus({
          publisher: redisConnections.open('cli', 'command', { lazyConnect: true }),
          subscriber: redisConnections.open('subscriber', 'subscriber', { lazyConnect: true }),
          prefix: eventChannelPrefix(config.redisNamespace),
          pubSub: redisConnections.pubSub,
          logger,
        });
        const row = await new ApiKeyService({ store, bus, logger }).revoke(
          { name: values.name as string | undefined, id: values.id as string | undefined },
          { actor, sandbox: config.platform.sandbox },
        );
        io.out(`Revoked API key "${row.name}"; requests with it now fail and its open WebSockets are closed.\n`);
        return 0;
      }
      default:
        throw new Error(`unreachable: ${command}`);
    }
  } catch (error) {
    if (error instanceof AppError) {
      io.err(`apikey: ${error.message}\n`);
      return error.code === 'BAD_USER_INPUT' && !/already has this name/.test(error.message) ? 2 : 1;
    }
    throw error;
  } finally {
    await redisConnections.close();
    await store.close();
  }
}

function checkArguments(command: string, v: Record<string, unknown>): void {
  const allowed: Record<string, string[]> = { create: ['name', 'role', 'sandbox', 'expires'], list: ['all'], revoke: ['name', 'id'] };
  if (!(command in allowed)) throw new UsageError(`unknown command ${command}`);
  for (const key of Object.keys(v)) if (v[key] !== undefined && !allowed[command]!.includes(key)) throw new UsageError(`--${key} does not apply to ${command}`);
  if (command === 'create') {
    if (!v.name) throw new UsageError('create needs --name');
    if (!v.role) throw new UsageError('create needs --role');
    if (!(ROLES as readonly string[]).includes(v.role as string)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if (typeof v.expires === 'string' && Number.isNaN(new Date(v.expires).getTime())) throw new UsageError(`--expires ${v.expires} is not a date (e.g. 2027-01-01)`);
  }
  if (command === 'revoke' && !v.name === !v.id) throw new UsageError('revoke needs exactly one of --name or --id');
}

if (require.main === module) {
  runAsMain(() => runApiKeyCli(process.argv.slice(2), process.env, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }), 'apikey: ');
}

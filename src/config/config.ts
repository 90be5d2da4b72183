import { z } from 'zod';

/**
 * Process configuration, parsed once at start from the environment. Every problem is listed
 * together so one restart fixes them all.
 */
export interface AppConfig {
  databaseUrl: string;
  redisUrl: string;
  port: number;
  /** Redis key prefix of the queues; wrapped in a hash tag so a queue's keys share a Cluster slot. */
  queuePrefix: string;
  workerConcurrency: number;
  /**
   * Seconds a worker's lock on a job lasts (renewed at half of it while the job runs), and how
   * often workers look for jobs whose lock expired: a job held by a killed worker is delivered
   * again within about twice this. Default 30.
   */
  workerLockSeconds: number;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  /** Onboarding steps running at once across the deployment (the per-org limit). */
  onboardingConcurrency: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where the Platform is. `embedded` = start the local emulator in this process (no AEP credentials configured). */
  platform: PlatformConfig;
  /** AES-256-GCM key for secrets at rest, with its id (for rotation). */
  secretKey: { id: string; key: Buffer } | null;
  /** Older keys, only to decrypt secrets sealed before a rotation (`FLOWGATE_PREVIOUS_SECRET_KEYS`). */
  previousSecretKeys: { id: string; key: Buffer }[];
  /** Seconds an explore result is cached. */
  exploreCacheSeconds: number;
  /** Seconds between two syncs of flow runs. */
  runSyncIntervalSeconds: number;
  nodeEnv: string;
}

export interface PlatformConfig {
  mode: 'embedded' | 'remote';
  platformUrl: string;
  imsUrl: string;
  clientId: string;
  clientSecret: string;
  orgId: string;
  sandbox: string;
  tenant: string | null;
  /** Port of the embedded emulator. */
  emulatorPort: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
}

const AEP_KEYS = ['AEP_CLIENT_ID', 'AEP_CLIENT_SECRET', 'AEP_ORG_ID'] as const;

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
const KEY_ID_RULE = '1 to 32 letters, digits, . _ or -';

const envSchema = z.object({
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/flowgate'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]+$/, 'letters, digits, :, _ and - only').default('flowgate'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  WORKER_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  ONBOARDING_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AEP_PLATFORM_URL: z.string().url().optional(),
  AEP_IMS_URL: z.string().url().optional(),
  AEP_CLIENT_ID: z.string().min(1).optional(),
  AEP_CLIENT_SECRET: z.string().min(1).optional(),
  AEP_ORG_ID: z.string().regex(/^[A-Za-z0-9]+@AdobeOrg$/, 'must look like XXXX@AdobeOrg').optional(),
  AEP_SANDBOX: z.string().regex(/^[a-z0-9-]+$/, 'lower-case sandbox name').default('prod'),
  AEP_TENANT: z.string().regex(/^[a-z0-9]+$/, 'lower-case letters and digits').optional(),
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  FLOWGATE_SECRET_KEY: z.string().optional(),
  FLOWGATE_SECRET_KEY_ID: z.string().regex(KEY_ID, KEY_ID_RULE).default('k1'),
  FLOWGATE_PREVIOUS_SECRET_KEYS: z.string().optional(),
  EXPLORE_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  RUN_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86400).default(30),
  NODE_ENV: z.string().default('development'),
});

/** Parses the environment; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = parsed.data;

  const present = AEP_KEYS.filter((k) => e[k] !== undefined);
  if (present.length > 0 && present.length < AEP_KEYS.length) {
    problems.push(`AEP credentials are partial: set all of ${AEP_KEYS.join(', ')} (missing ${AEP_KEYS.filter((k) => e[k] === undefined).join(', ')}), or none to use the embedded emulator`);
  }
  const remote = present.length === AEP_KEYS.length;

  let secretKey: AppConfig['secretKey'] = null;
  if (e.FLOWGATE_SECRET_KEY !== undefined) {
    const key = decodeKey(e.FLOWGATE_SECRET_KEY);
    if (!key) problems.push('FLOWGATE_SECRET_KEY: must be 32 bytes, as 64 hex characters or base64');
    else secretKey = { id: e.FLOWGATE_SECRET_KEY_ID, key };
  } else if (remote) {
    problems.push('FLOWGATE_SECRET_KEY: required when AEP credentials are configured (secrets are stored encrypted with it)');
  }
  const previousSecretKeys = e.FLOWGATE_PREVIOUS_SECRET_KEYS === undefined ? [] : parsePreviousKeys(e.FLOWGATE_PREVIOUS_SECRET_KEYS, secretKey, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const platform: PlatformConfig = remote
    ? {
        mode: 'remote',
        platformUrl: e.AEP_PLATFORM_URL ?? 'https://platform.adobe.io',
        imsUrl: e.AEP_IMS_URL ?? 'https://ims-na1.adobelogin.com',
        clientId: e.AEP_CLIENT_ID!,
        clientSecret: e.AEP_CLIENT_SECRET!,
        orgId: e.AEP_ORG_ID!,
        sandbox: e.AEP_SANDBOX,
        tenant: e.AEP_TENANT ?? null,
        emulatorPort: e.EMULATOR_PORT,
      }
    : {
        mode: 'embedded',
        platformUrl: `http://127.0.0.1:${e.EMULATOR_PORT}`,
        imsUrl: `http://127.0.0.1:${e.EMULATOR_PORT}`,
        clientId: 'flowgate-local',
        clientSecret: 'flowgate-local-secret',
        orgId: 'FLOWGATE0000000000000000@AdobeOrg',
        sandbox: e.AEP_SANDBOX,
        tenant: e.AEP_TENANT ?? 'flowgatelocal',
        emulatorPort: e.EMULATOR_PORT,
      };

  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    queuePrefix: `{${e.QUEUE_PREFIX}}`,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerLockSeconds: e.WORKER_LOCK_SECONDS,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    onboardingConcurrency: e.ONBOARDING_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    platform,
    secretKey,
    previousSecretKeys,
    exploreCacheSeconds: e.EXPLORE_CACHE_SECONDS,
    runSyncIntervalSeconds: e.RUN_SYNC_INTERVAL_SECONDS,
    nodeEnv: e.NODE_ENV,
  };
}

/**
 * `id:key,id:key…` (key as 64 hex characters or base64 of 32 bytes). Problems name the entry
 * by position and id, never the key material.
 */
function parsePreviousKeys(raw: string, current: AppConfig['secretKey'], problems: string[]): AppConfig['previousSecretKeys'] {
  const name = 'FLOWGATE_PREVIOUS_SECRET_KEYS';
  const keys: AppConfig['previousSecretKeys'] = [];
  const entries = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon);
    const label = `${name}: entry ${index + 1}`;
    if (colon < 0 || !KEY_ID.test(id)) {
      problems.push(`${label} must be id:key with an id of ${KEY_ID_RULE}`);
      continue;
    }
    const key = decodeKey(entry.slice(colon + 1));
    if (!key) problems.push(`${label} (${id}): key must be 32 bytes, as 64 hex characters or base64`);
    else if (keys.some((k) => k.id === id)) problems.push(`${label} (${id}): the id appears twice`);
    else if (current && current.id === id && !current.key.equals(key)) problems.push(`${label} (${id}): the id is FLOWGATE_SECRET_KEY_ID's, with a different key`);
    else if (!current || current.id !== id) keys.push({ id, key });
  }
  return keys;
}

function decodeKey(raw: string): Buffer | null {
  const trimmed = raw.trim();
  const buffer = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  return buffer.length === 32 ? buffer : null;
}

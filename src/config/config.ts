import { z } from 'zod';
import { RUN_WINDOW, type WatchdogPolicy } from '../domain/dataflow-health.js';
import type { PlatformClientOptions } from '../platform/platform-client.js';
import type { RedisNode } from '../redis/redis-connections.js';

/**
 * Process configuration, parsed once at start from the environment. Every problem is listed
 * together so one restart fixes them all.
 */
export interface AppConfig {
  databaseUrl: string;
  /** The single Redis (REDIS_URL); with `redisClusterNodes` set, only its credentials are used. */
  redisUrl: string;
  /**
   * REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster (any of its primaries; the rest is
   * discovered). Null: the single Redis at `redisUrl`.
   */
  redisClusterNodes: RedisNode[] | null;
  port: number;
  /** Redis key prefix of the queues; wrapped in a hash tag so a queue's keys share a Cluster slot. */
  queuePrefix: string;
  /**
   * QUEUE_PREFIX as given, without the hash tag: the prefix of keys and channels that are better
   * spread over a cluster's shards (rate-limit counters, event channels).
   */
  redisNamespace: string;
  workerConcurrency: number;
  /**
   * Seconds a worker's lock on a job lasts (renewed at half of it while the job runs), and how
   * often workers look for jobs whose lock expired: a job held by a killed worker is delivered
   * again within about twice this. Default 30.
   */
  workerLockSeconds: number;
  /**
   * Seconds a stopping process (SIGTERM, SIGINT) waits for its in-flight work and its connections
   * to close; past it, it logs what it left and exits anyway (closing waits for Redis, forever
   * while Redis is down). Default 25, under a container runtime's usual 30 s grace before SIGKILL.
   */
  shutdownTimeoutSeconds: number;
  /**
   * Seconds between two checks, in each worker, that Redis still holds the maintenance
   * schedulers: when a flush or a restart without persistence took them, the worker re-creates
   * them and re-enqueues the unfinished work at once. Default 5.
   */
  maintenanceCheckSeconds: number;
  /** Seconds between two attempts to reach PostgreSQL and Redis while the process starts. Default 2. */
  startupRetrySeconds: number;
  /** Seconds a GraphQL request over HTTP may take before it is answered 503 UNAVAILABLE. Default 30. */
  requestTimeoutSeconds: number;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  /** Milliseconds a query waits for a pooled PostgreSQL connection before it fails (UNAVAILABLE). Default 5000. */
  databaseConnectTimeoutMs: number;
  /** Onboarding steps running at once across the deployment (the per-org limit). */
  onboardingConcurrency: number;
  /** Platform calls per second per IMS org and sandbox, shared by every process through Redis (AEP_MAX_CALLS_PER_SECOND, default 100). */
  platformCallsPerSecond: number;
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
  /** Limits every GraphQL request (HTTP and WebSocket) is checked against. */
  graphql: GraphQLLimitsConfig;
  /** Per-caller limits, counted in Redis so they hold across gateway processes. */
  rateLimits: RateLimitsConfig;
  auth: AuthConfig;
  /** Browser origins allowed to call the API (CORS) and to open its WebSocket. */
  cors: CorsConfig;
  /** The dataflow watchdog: how often it looks, and when a dataflow counts as LATE, FAILING or SILENT. */
  watchdog: WatchdogConfig;
  /** Outbound webhook deliveries. */
  webhooks: WebhooksConfig;
  /** Prometheus metrics on their own port. */
  metrics: MetricsConfig;
  /** The queue dashboard (Bull Board at /admin/queues) and its sign-in. */
  admin: AdminConfig;
  /** Seconds between two verifications of the audit hash chain by a worker (AUDIT_VERIFY_INTERVAL_SECONDS, default 3600). */
  auditVerifyIntervalSeconds: number;
  /** The audit trail: counting, sealing, retention. */
  audit: AuditConfig;
}

export interface AuditConfig {
  /** Up to this many matches `auditEvents.totalCount` is exact; above, an estimate (AUDIT_EXACT_COUNT_LIMIT, default 10,000). */
  exactCountLimit: number;
  /** Months that ended more than this many days ago are detached to the archive (AUDIT_RETENTION_DAYS); null keeps everything (the default). */
  retentionDays: number | null;
  /** Milliseconds between two sealing passes (AUDIT_SEAL_INTERVAL_MS, default 200): the unsealed tail's age. */
  sealIntervalMs: number;
}

export interface MetricsConfig {
  /**
   * Port of `GET /metrics` (METRICS_PORT, default 9464): null when off (`0`), 0 for a free port
   * the system picks (`any`, logged at start). Never the API's port.
   */
  port: number | null;
  /** Interface it listens on (METRICS_HOST, default 0.0.0.0). */
  host: string;
}

export interface AdminConfig {
  /** Seconds a queue-dashboard session lasts after signing in (ADMIN_SESSION_SECONDS, default 900). */
  sessionSeconds: number;
}

/**
 * Which browser origins may call the API from another origin (CORS) and open a WebSocket to it.
 * Each entry is an exact origin (`https://app.example.com`) or a development wildcard for any
 * port of a loopback host (`http://localhost:*`, `http://127.0.0.1:*`).
 */
export interface CorsConfig {
  /** CORS_ORIGINS; default the loopback wildcards in the embedded mode, none otherwise. */
  origins: string[];
}

export interface WatchdogConfig {
  /** Seconds between two watchdog passes over every dataflow (WATCHDOG_INTERVAL_SECONDS, default 60). */
  intervalSeconds: number;
  /** WATCHDOG_GRACE_SECONDS (default 900), WATCHDOG_FAILED_RUNS (default 2), WATCHDOG_EMPTY_RUNS (default 3). */
  policy: WatchdogPolicy;
}

export interface WebhooksConfig {
  /**
   * Deliver to private, loopback and link-local addresses too (WEBHOOK_ALLOW_PRIVATE_NETWORKS,
   * default false: refused, so a webhook URL cannot reach into the deployment's network). For
   * tests and local receivers only.
   */
  allowPrivateNetworks: boolean;
  /** Milliseconds one delivery attempt may take, connection to last byte read (WEBHOOK_TIMEOUT_MS, default 10000). */
  timeoutMs: number;
  /** Attempts per delivery before it is FAILED (WEBHOOK_MAX_ATTEMPTS, default 8), with exponential backoff between them. */
  maxAttempts: number;
  /** Bytes of a receiver's answer read at most; the rest is dropped (WEBHOOK_MAX_RESPONSE_BYTES, default 65536). */
  maxResponseBytes: number;
  /** Deliveries a worker sends at once (WEBHOOK_CONCURRENCY, default 10). */
  concurrency: number;
}

export interface GraphQLLimitsConfig {
  /** Deepest selection nesting (GRAPHQL_MAX_DEPTH, default 12). */
  maxDepth: number;
  /** Aliased fields per operation (GRAPHQL_MAX_ALIASES, default 15). */
  maxAliases: number;
  /** Estimated cost: 1 per field, list fields times their `first` (GRAPHQL_MAX_COST, default 5000). */
  maxCost: number;
  /** Lexical tokens per document (GRAPHQL_MAX_TOKENS, default 3000). */
  maxTokens: number;
  /** Bytes of a request body or WebSocket message (GRAPHQL_MAX_REQUEST_BYTES, default 1000000). */
  maxRequestBytes: number;
  /** Operations in one batched HTTP request (GRAPHQL_MAX_BATCH, default 10). */
  maxBatch: number;
  /** Introspection and "Did you mean" suggestions (GRAPHQL_INTROSPECTION; default off in production). */
  introspection: boolean;
}

export interface RateLimitsConfig {
  /** Mutation fields a caller may run per minute (RATE_LIMIT_MUTATIONS_PER_MINUTE, default 300). */
  mutationsPerMinute: number;
  /** `explore` calls a caller may make per minute (RATE_LIMIT_EXPLORE_PER_MINUTE, default 30). */
  explorePerMinute: number;
}

/** How callers are authenticated (API keys always; JWTs when a JWKS URL or a shared secret is set). */
export interface AuthConfig {
  jwt: JwtConfig | null;
  /** Seconds between two re-checks of every open WebSocket's credential (revoked or expired → closed). Default 60. */
  socketRecheckSeconds: number;
}

export interface JwtConfig {
  /** Keys from this JWKS (RS256/ES256/…); exclusive with `secret`. */
  jwksUrl: string | null;
  /** HS256 shared secret (at least 32 bytes); exclusive with `jwksUrl`. */
  secret: Buffer | null;
  /** Required `iss` (and required with a JWKS). */
  issuer: string | null;
  /** Required `aud` (and required with a JWKS). */
  audience: string | null;
  /** Claim holding the caller's role. Default `flowgate_role`. */
  roleClaim: string;
  /** Claim holding the sandboxes the caller may act in (absent = any). Default `flowgate_sandboxes`. */
  sandboxesClaim: string;
  /** Seconds of clock skew accepted on `exp`/`nbf`. Default 5. */
  clockToleranceSeconds: number;
}

/** Where the Platform is and who Flowgate is there (the Platform client's options), and how it runs. */
export interface PlatformConfig extends Pick<PlatformClientOptions, 'platformUrl' | 'imsUrl' | 'clientId' | 'clientSecret' | 'orgId' | 'sandbox'> {
  mode: 'embedded' | 'remote';
  /**
   * The sandboxes requests may act in (AEP_SANDBOXES): the emulator's in the embedded mode; null
   * when not configured for a remote Platform (any well-formed name is then passed on).
   */
  sandboxes: string[] | null;
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
  REDIS_CLUSTER_NODES: z.string().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9:_-]+$/, 'letters, digits, :, _ and - only')
    .default('flowgate'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(20),
  WORKER_LOCK_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(25),
  MAINTENANCE_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  STARTUP_RETRY_SECONDS: z.coerce.number().min(0.1).max(300).default(2),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  ONBOARDING_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(16),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AEP_PLATFORM_URL: z.string().url().optional(),
  AEP_IMS_URL: z.string().url().optional(),
  AEP_CLIENT_ID: z.string().min(1).optional(),
  AEP_CLIENT_SECRET: z.string().min(1).optional(),
  AEP_ORG_ID: z
    .string()
    .regex(/^[A-Za-z0-9]+@AdobeOrg$/, 'must look like XXXX@AdobeOrg')
    .optional(),
  AEP_SANDBOX: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'lower-case sandbox name')
    .default('prod'),
  AEP_SANDBOXES: z
    .string()
    .regex(/^\s*[a-z0-9-]+\s*(,\s*[a-z0-9-]+\s*)*$/, 'comma-separated lower-case sandbox names')
    .optional(),
  AEP_TENANT: z
    .string()
    .regex(/^[a-z0-9]+$/, 'lower-case letters and digits')
    .optional(),
  EMULATOR_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  FLOWGATE_SECRET_KEY: z.string().optional(),
  FLOWGATE_SECRET_KEY_ID: z.string().regex(KEY_ID, KEY_ID_RULE).default('k1'),
  FLOWGATE_PREVIOUS_SECRET_KEYS: z.string().optional(),
  EXPLORE_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  RUN_SYNC_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86400).default(30),
  NODE_ENV: z.string().default('development'),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).max(10_000_000).default(5000),
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(10).max(1_000_000).default(3000),
  GRAPHQL_MAX_REQUEST_BYTES: z.coerce.number().int().min(1024).max(100_000_000).default(1_000_000),
  GRAPHQL_MAX_BATCH: z.coerce.number().int().min(1).max(1000).default(10),
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  RATE_LIMIT_MUTATIONS_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(300),
  RATE_LIMIT_EXPLORE_PER_MINUTE: z.coerce.number().int().min(1).max(100_000_000).default(30),
  AEP_MAX_CALLS_PER_SECOND: z.coerce.number().int().min(1).max(100_000).default(100),
  AUTH_JWKS_URL: z
    .string()
    .url()
    .refine((v) => /^https:\/\//.test(v) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(v), 'must be https (or http on 127.0.0.1/localhost)')
    .optional(),
  AUTH_JWT_SECRET: z
    .string()
    .refine((v) => Buffer.byteLength(v, 'utf8') >= 32, 'must be at least 32 bytes')
    .optional(),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
  AUTH_JWT_ROLE_CLAIM: z
    .string()
    .regex(/^[\w.:/-]{1,100}$/)
    .default('flowgate_role'),
  AUTH_JWT_SANDBOXES_CLAIM: z
    .string()
    .regex(/^[\w.:/-]{1,100}$/)
    .default('flowgate_sandboxes'),
  AUTH_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
  AUTH_SOCKET_RECHECK_SECONDS: z.coerce.number().min(0.1).max(86400).default(60),
  CORS_ORIGINS: z.string().optional(),
  WATCHDOG_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86400).default(60),
  WATCHDOG_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86400)
    .default(900),
  WATCHDOG_FAILED_RUNS: z.coerce.number().int().min(1).max(RUN_WINDOW).default(2),
  WATCHDOG_EMPTY_RUNS: z.coerce.number().int().min(1).max(RUN_WINDOW).default(3),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(8),
  WEBHOOK_MAX_RESPONSE_BYTES: z.coerce.number().int().min(0).max(10_000_000).default(65_536),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  METRICS_PORT: z
    .string()
    .regex(/^(any|\d{1,5})$/, 'a port number, 0 (off) or any (a free port)')
    .refine((v) => v === 'any' || Number(v) <= 65535, 'a port is at most 65535')
    .default('9464'),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  ADMIN_SESSION_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  AUDIT_VERIFY_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .max(7 * 86_400)
    .default(3600),
  AUDIT_EXACT_COUNT_LIMIT: z.coerce.number().int().min(0).max(100_000_000).default(10_000),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(365_000).optional(),
  AUDIT_SEAL_INTERVAL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
});

/** `host:port,host:port,…` (IPv6 hosts in brackets: `[::1]:7000`); every bad entry is listed. */
function parseClusterNodes(value: string, problems: string[]): RedisNode[] | null {
  const nodes: RedisNode[] = [];
  for (const entry of value.split(',').map((s) => s.trim())) {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      problems.push(`REDIS_CLUSTER_NODES: "${entry}" is not host:port (comma-separated seed nodes of the cluster, e.g. redis-1:6379,redis-2:6379)`);
      continue;
    }
    nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port });
  }
  return nodes.length > 0 ? nodes : null;
}

/** `http://localhost:*`-style entries: any port of a loopback host, for local development only. */
const LOOPBACK_WILDCARD = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\]):\*$/;

/** The embedded emulator's sandboxes (its EMULATOR_SANDBOXES default). */
const EMBEDDED_SANDBOXES = ['prod', 'dev'];

/** The development default of the embedded mode: a frontend dev server on any local port. */
export const EMBEDDED_CORS_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];

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
  if (e.AUTH_JWKS_URL !== undefined && e.AUTH_JWT_SECRET !== undefined) problems.push('AUTH_JWKS_URL and AUTH_JWT_SECRET: set one of them, not both');
  if (e.AUTH_JWKS_URL !== undefined && (e.AUTH_JWT_ISSUER === undefined || e.AUTH_JWT_AUDIENCE === undefined)) {
    problems.push('AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE: required with AUTH_JWKS_URL');
  }
  const previousSecretKeys = e.FLOWGATE_PREVIOUS_SECRET_KEYS === undefined ? [] : parsePreviousKeys(e.FLOWGATE_PREVIOUS_SECRET_KEYS, secretKey, problems);
  const sandboxes = e.AEP_SANDBOXES === undefined ? (remote ? null : EMBEDDED_SANDBOXES) : e.AEP_SANDBOXES.split(',').map((s) => s.trim());
  if (sandboxes !== null && !sandboxes.includes(e.AEP_SANDBOX)) problems.push(`AEP_SANDBOX: "${e.AEP_SANDBOX}" is not one of AEP_SANDBOXES (${sandboxes.join(', ')})`);
  if (e.METRICS_PORT !== 'any' && Number(e.METRICS_PORT) !== 0 && Number(e.METRICS_PORT) === e.PORT)
    problems.push(`METRICS_PORT: ${e.METRICS_PORT} is the API's PORT; metrics get a port of their own`);
  const corsOrigins = e.CORS_ORIGINS === undefined ? (remote ? [] : EMBEDDED_CORS_ORIGINS) : parseOrigins(e.CORS_ORIGINS, problems);
  const redisClusterNodes = e.REDIS_CLUSTER_NODES === undefined ? null : parseClusterNodes(e.REDIS_CLUSTER_NODES, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  const jwtEnabled = e.AUTH_JWKS_URL !== undefined || e.AUTH_JWT_SECRET !== undefined;
  const auth: AuthConfig = {
    socketRecheckSeconds: e.AUTH_SOCKET_RECHECK_SECONDS,
    jwt: jwtEnabled
      ? {
          jwksUrl: e.AUTH_JWKS_URL ?? null,
          secret: e.AUTH_JWT_SECRET !== undefined ? Buffer.from(e.AUTH_JWT_SECRET, 'utf8') : null,
          issuer: e.AUTH_JWT_ISSUER ?? null,
          audience: e.AUTH_JWT_AUDIENCE ?? null,
          roleClaim: e.AUTH_JWT_ROLE_CLAIM,
          sandboxesClaim: e.AUTH_JWT_SANDBOXES_CLAIM,
          clockToleranceSeconds: e.AUTH_JWT_CLOCK_TOLERANCE_SECONDS,
        }
      : null,
  };

  const platform: PlatformConfig = remote
    ? {
        mode: 'remote',
        platformUrl: e.AEP_PLATFORM_URL ?? 'https://platform.adobe.io',
        imsUrl: e.AEP_IMS_URL ?? 'https://ims-na1.adobelogin.com',
        clientId: e.AEP_CLIENT_ID!,
        clientSecret: e.AEP_CLIENT_SECRET!,
        orgId: e.AEP_ORG_ID!,
        sandbox: e.AEP_SANDBOX,
        sandboxes,
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
        sandboxes,
        tenant: e.AEP_TENANT ?? 'flowgatelocal',
        emulatorPort: e.EMULATOR_PORT,
      };

  return {
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    redisClusterNodes,
    port: e.PORT,
    queuePrefix: `{${e.QUEUE_PREFIX}}`,
    redisNamespace: e.QUEUE_PREFIX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerLockSeconds: e.WORKER_LOCK_SECONDS,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    maintenanceCheckSeconds: e.MAINTENANCE_CHECK_SECONDS,
    startupRetrySeconds: e.STARTUP_RETRY_SECONDS,
    requestTimeoutSeconds: e.REQUEST_TIMEOUT_SECONDS,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    onboardingConcurrency: e.ONBOARDING_CONCURRENCY,
    platformCallsPerSecond: e.AEP_MAX_CALLS_PER_SECOND,
    logLevel: e.LOG_LEVEL,
    platform,
    secretKey,
    previousSecretKeys,
    exploreCacheSeconds: e.EXPLORE_CACHE_SECONDS,
    runSyncIntervalSeconds: e.RUN_SYNC_INTERVAL_SECONDS,
    nodeEnv: e.NODE_ENV,
    graphql: {
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      maxTokens: e.GRAPHQL_MAX_TOKENS,
      maxRequestBytes: e.GRAPHQL_MAX_REQUEST_BYTES,
      maxBatch: e.GRAPHQL_MAX_BATCH,
      introspection: e.GRAPHQL_INTROSPECTION === undefined ? e.NODE_ENV !== 'production' : e.GRAPHQL_INTROSPECTION === 'true',
    },
    rateLimits: {
      mutationsPerMinute: e.RATE_LIMIT_MUTATIONS_PER_MINUTE,
      explorePerMinute: e.RATE_LIMIT_EXPLORE_PER_MINUTE,
    },
    auth,
    cors: { origins: corsOrigins },
    watchdog: {
      intervalSeconds: e.WATCHDOG_INTERVAL_SECONDS,
      policy: { graceSeconds: e.WATCHDOG_GRACE_SECONDS, failedRuns: e.WATCHDOG_FAILED_RUNS, emptyRuns: e.WATCHDOG_EMPTY_RUNS },
    },
    audit: { exactCountLimit: e.AUDIT_EXACT_COUNT_LIMIT, retentionDays: e.AUDIT_RETENTION_DAYS ?? null, sealIntervalMs: e.AUDIT_SEAL_INTERVAL_MS },
    webhooks: {
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      maxResponseBytes: e.WEBHOOK_MAX_RESPONSE_BYTES,
      concurrency: e.WEBHOOK_CONCURRENCY,
    },
    metrics: { port: e.METRICS_PORT === 'any' ? 0 : Number(e.METRICS_PORT) === 0 ? null : Number(e.METRICS_PORT), host: e.METRICS_HOST },
    admin: { sessionSeconds: e.ADMIN_SESSION_SECONDS },
    auditVerifyIntervalSeconds: e.AUDIT_VERIFY_INTERVAL_SECONDS,
  };
}

/**
 * `CORS_ORIGINS`: comma-separated origins, each `scheme://host[:port]` exactly as a browser sends
 * it (no path, no trailing slash), or a loopback wildcard (`http://localhost:*`). A general `*` is
 * refused: the API's answers carry a caller's data, and no deployment should hand them to any page.
 */
function parseOrigins(raw: string, problems: string[]): string[] {
  const origins: string[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    if (entry === '') continue;
    if (LOOPBACK_WILDCARD.test(entry)) {
      origins.push(entry);
      continue;
    }
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      url = null;
    }
    // A host of letters, digits, dots and hyphens (or an IPv6 literal): `https://*.example.com` is not an origin a browser sends.
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== entry || !/^([a-z0-9.-]+|\[[0-9a-f:.]+\])$/.test(url.hostname)) {
      problems.push(`CORS_ORIGINS: "${entry}" is not an origin (scheme://host[:port], no path or trailing slash; or http://localhost:* for any local port)`);
      continue;
    }
    origins.push(entry);
  }
  return origins;
}

/**
 * `id:key,id:key…` (key as 64 hex characters or base64 of 32 bytes). Problems name the entry
 * by position and id, never the key material.
 */
function parsePreviousKeys(raw: string, current: AppConfig['secretKey'], problems: string[]): AppConfig['previousSecretKeys'] {
  const name = 'FLOWGATE_PREVIOUS_SECRET_KEYS';
  const keys: AppConfig['previousSecretKeys'] = [];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
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

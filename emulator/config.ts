import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StateBackendOptions } from './state/persistence.js';

/**
 * Emulator configuration: who may call it and how it behaves.
 * Every field has a documented default so `startEmulator()` works with no arguments.
 */
export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. Default 4010. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** OAuth client id (also the required `x-api-key`). Default `flowgate-local`. */
  clientId?: string;
  /** OAuth client secret. Default `flowgate-local-secret`. */
  clientSecret?: string;
  /** IMS orgs the client is entitled to; the first is the primary one. Default `FLOWGATE0000000000000000@AdobeOrg`. */
  orgIds?: string[];
  /** Sandboxes that exist in every org. Default `prod`, `dev`. */
  sandboxes?: string[];
  /** Schema Registry tenant id (XDM namespace `_<tenantId>`). Default `flowgatelocal`. */
  tenantId?: string;
  /** Lifetime of issued access tokens in seconds (IMS answers 86399). */
  tokenTtlSeconds?: number;
  /** Seed of the Stripe data generator; the same seed yields the same records. Default `flowgate`. */
  seed?: string;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimitBytes?: number;
  /**
   * Flow Service without `x-sandbox-name`: the spec says the org's default sandbox is used,
   * the error catalogue has `2105-400`. `reject` (default) answers 2105-400, `default` uses the first sandbox.
   */
  missingSandboxPolicy?: 'reject' | 'default';
  /** Hours of history the first run of a backfilling flow ingests. Default 24. */
  backfillHours?: number;
  /**
   * Where the state is kept across restarts, and the 32-byte key that seals the secrets in it
   * (a connection's Stripe key). Default none: in memory only.
   */
  state?: EmulatorStateOptions | null;
}

/** A persisted state: where it lives and the key its secrets are sealed with. */
export type EmulatorStateOptions = StateBackendOptions & { key: Buffer };

export type ResolvedEmulatorOptions = Required<EmulatorOptions>;

export const EMULATOR_DEFAULTS: ResolvedEmulatorOptions = {
  port: 4010,
  host: '127.0.0.1',
  clientId: 'flowgate-local',
  clientSecret: 'flowgate-local-secret',
  orgIds: ['FLOWGATE0000000000000000@AdobeOrg'],
  sandboxes: ['prod', 'dev'],
  tenantId: 'flowgatelocal',
  tokenTtlSeconds: 86399,
  seed: 'flowgate',
  bodyLimitBytes: 1024 * 1024,
  missingSandboxPolicy: 'reject',
  backfillHours: 24,
  state: null,
};

export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { ...EMULATOR_DEFAULTS, ...defined };
}

/** The primary org, the first of `orgIds`. Throws when the list is empty (only `orgIds: []` passed in code makes it so). */
export function primaryOrgId(options: Pick<ResolvedEmulatorOptions, 'orgIds'>): string {
  const [orgId] = options.orgIds;
  if (orgId === undefined) throw new Error('The emulator has no org: orgIds is empty.');
  return orgId;
}

/** The first of `sandboxes` (`prod` by default). Throws when the list is empty (only `sandboxes: []` passed in code makes it so). */
export function firstSandbox(options: Pick<ResolvedEmulatorOptions, 'sandboxes'>): string {
  const [sandbox] = options.sandboxes;
  if (sandbox === undefined) throw new Error('The emulator has no sandbox: sandboxes is empty.');
  return sandbox;
}

/** Reads `EMULATOR_*` variables; unset ones fall back to the defaults. Invalid values are listed together. */
export function emulatorOptionsFromEnv(env: NodeJS.ProcessEnv): EmulatorOptions {
  const problems: string[] = [];
  const int = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return undefined;
    }
    return n;
  };
  const list = (name: string): string[] | undefined => {
    const raw = env[name];
    if (!raw) return undefined;
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) problems.push(`${name} must list at least one value`);
    return items;
  };
  const options: EmulatorOptions = {
    port: int('EMULATOR_PORT', 0, 65535),
    host: env.EMULATOR_HOST || undefined,
    clientId: env.EMULATOR_CLIENT_ID || undefined,
    clientSecret: env.EMULATOR_CLIENT_SECRET || undefined,
    orgIds: list('EMULATOR_ORG_IDS') ?? (env.EMULATOR_ORG_ID ? [env.EMULATOR_ORG_ID] : undefined),
    sandboxes: list('EMULATOR_SANDBOXES'),
    tenantId: env.EMULATOR_TENANT_ID || undefined,
    tokenTtlSeconds: int('EMULATOR_TOKEN_TTL_SECONDS', 1, 10 * 365 * 86400),
    seed: env.EMULATOR_SEED || undefined,
    bodyLimitBytes: int('EMULATOR_BODY_LIMIT_BYTES', 1024, 100 * 1024 * 1024),
    backfillHours: int('EMULATOR_BACKFILL_HOURS', 0, 24 * 365),
  };
  const statePath = env.EMULATOR_STATE;
  if (statePath) {
    if (/^postgres(ql)?:\/\//.test(statePath)) problems.push('EMULATOR_STATE must be a file path (the PostgreSQL state is for the emulator embedded in npm start)');
    else options.state = { kind: 'file', path: path.resolve(statePath), key: stateKeyFor(path.resolve(statePath)) };
  }
  const policy = env.EMULATOR_MISSING_SANDBOX;
  if (policy) {
    if (policy === 'reject' || policy === 'default') options.missingSandboxPolicy = policy;
    else problems.push(`EMULATOR_MISSING_SANDBOX must be "reject" or "default" (got "${policy}")`);
  }
  if (options.tenantId && !/^[a-z0-9]+$/.test(options.tenantId)) {
    problems.push('EMULATOR_TENANT_ID must be lowercase letters and digits');
  }
  for (const org of options.orgIds ?? []) {
    if (!/^[A-Za-z0-9]+@AdobeOrg$/.test(org)) problems.push(`org id "${org}" must look like XXXX@AdobeOrg`);
  }
  if (problems.length > 0) throw new Error(`Invalid emulator configuration:\n- ${problems.join('\n- ')}`);
  return options;
}

/**
 * The key that seals the secrets of a state file: `<file>.key` beside it (32 random bytes, hex,
 * mode 0600), made on first use, so the state file alone holds no Stripe key.
 */
function stateKeyFor(file: string): Buffer {
  const keyFile = `${file}.key`;
  if (!existsSync(keyFile)) {
    mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
}

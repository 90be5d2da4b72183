import type { AddressInfo } from 'node:net';
import { EmulatorClock } from './clock.js';
import { resolveEmulatorOptions, type EmulatorOptions, type ResolvedEmulatorOptions } from './config.js';
import type { EmulatorContext } from './context.js';
import { buildHttpApp } from './http/app.js';
import { FaultRegistry } from './http/fault-registry.js';
import { RequestLog } from './http/request-log.js';
import { TokenRegistry } from './http/token-registry.js';
import { RunEngine } from './ingestion/run-engine.js';
import { registerPlatformRoutes } from './services/routes.js';
import { openBackend, StatePersister } from './state/persistence.js';
import { Sealer } from './state/sealing.js';
import { EmulatorStore } from './state/store.js';
import { StripeDataGenerator } from './stripe/generator.js';
import { StripeAccounts } from './stripe/stripe-accounts.js';

export type { EmulatorOptions, EmulatorStateOptions } from './config.js';
export { emulatorOptionsFromEnv, EMULATOR_DEFAULTS, primaryOrgId, firstSandbox } from './config.js';

/** A running emulator. */
export interface RunningEmulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`; Platform paths and `/ims/token/v3` hang off it. */
  readonly url: string;
  readonly port: number;
  /** The options in effect, defaults filled in (includes the client secret: this is a local test double). */
  readonly options: ResolvedEmulatorOptions;
  /** Direct access for in-process callers (tests, `npm start`); HTTP clients use the control API. */
  readonly context: EmulatorContext;
  stop(): Promise<void>;
}

/**
 * Starts the emulator in this process. `port: 0` picks a free port (what tests use).
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveEmulatorOptions(options);
  const clock = new EmulatorClock();
  const store = new EmulatorStore({ orgIds: resolved.orgIds, sandboxes: resolved.sandboxes });
  const stripe = new StripeDataGenerator({ seed: resolved.seed });
  const accounts = new StripeAccounts(stripe);
  const context: EmulatorContext = {
    options: resolved,
    clock,
    store,
    tokens: new TokenRegistry(),
    faults: new FaultRegistry(resolved.seed),
    requestLog: new RequestLog(),
    stripe,
    accounts,
    runs: new RunEngine({ store, clock, accounts, backfillHours: resolved.backfillHours }),
  };
  if (resolved.state) {
    const { key, ...backend } = resolved.state;
    const warn = (message: string) => console.warn(`[emulator] ${message}`);
    context.persistence = new StatePersister({ store, clock, tokens: context.tokens, runs: context.runs, accounts, sealer: new Sealer(key) }, openBackend(backend), warn);
    try {
      await context.persistence.load();
    } catch (error) {
      await context.persistence.close().catch(() => undefined);
      throw new Error(`The emulator could not load its saved state from the ${context.persistence.description}: ${(error as Error).message}`);
    }
  }
  const app = buildHttpApp(context);
  registerPlatformRoutes(app, context);
  try {
    await app.listen({ port: resolved.port, host: resolved.host });
  } catch (error) {
    await context.persistence?.close();
    throw error;
  }
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host}:${port}`;
  return {
    url,
    port,
    options: resolved,
    context,
    stop: async () => {
      await app.close();
      await context.persistence?.close();
    },
  };
}

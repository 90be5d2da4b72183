import type { ResolvedEmulatorOptions } from './config.js';
import type { EmulatorClock } from './clock.js';
import type { EmulatorStore, SandboxPartition } from './state/store.js';
import type { TokenRegistry } from './http/token-registry.js';
import type { FaultRegistry } from './http/fault-registry.js';
import type { RequestLog } from './http/request-log.js';
import type { StripeDataGenerator } from './stripe/generator.js';
import type { StripeAccounts } from './stripe/stripe-accounts.js';
import type { RunEngine } from './ingestion/run-engine.js';
import type { StatePersister } from './state/persistence.js';

/** Everything the emulator's routes share, built once in `startEmulator`. */
export interface EmulatorContext {
  readonly options: ResolvedEmulatorOptions;
  readonly clock: EmulatorClock;
  readonly store: EmulatorStore;
  readonly tokens: TokenRegistry;
  readonly faults: FaultRegistry;
  readonly requestLog: RequestLog;
  readonly stripe: StripeDataGenerator;
  /** The Stripe accounts runs and explore read: generated records plus added ones, and each account's state (revoked, dormant). */
  readonly accounts: StripeAccounts;
  readonly runs: RunEngine;
  /** Set when the state is kept across restarts: what saves it after each change. */
  persistence?: StatePersister;
}

/** Who is calling and where: set by the gateway checks on every Platform request. */
export interface PlatformCall {
  readonly clientId: string;
  readonly orgId: string;
  readonly sandboxName: string;
  readonly partition: SandboxPartition;
}

import { createHash } from 'node:crypto';
import { isAcceptedStripeKey } from '../services/flow-service/stripe-credentials.js';
import type { StripeDataGenerator } from './generator.js';
import { inferExploreSchema, mergeSchemaNodes, type ExploreSchemaNode } from './schema-inference.js';
import type { StripeObject, StripeResourcePath } from './stripe-resources.js';

/**
 * What became of a Stripe account behind an API key: `active` (the default), `revoked` (Stripe
 * rejects the key from now on: connection tests say false, explore fails, runs fail with
 * CONNECTOR-2001-500) or `dormant` (the key works, the account creates nothing: runs read 0
 * records). Set through the control API; the Platform's own API cannot do either.
 */
export const STRIPE_ACCOUNT_STATES = ['active', 'revoked', 'dormant'] as const;
export type StripeAccountState = (typeof STRIPE_ACCOUNT_STATES)[number];

/**
 * The Stripe accounts the emulated connector reads: for every API key, the generator's records
 * plus the records a test or a user added to that account (`POST
 * /__emulator/connections/{id}/stripe/{resource}`, e.g. Stripe's own fixture objects), and the
 * account's state (`POST /__emulator/stripe/accounts`). Runs read the records, ordered by
 * `created`; explore infers its schema from the generator's sample and every added record, as
 * the real connector infers it from the account's data.
 *
 * Accounts are kept under the SHA-256 of the API key, never the key itself.
 */
export class StripeAccounts {
  private readonly added = new Map<string, Map<StripeResourcePath, StripeObject[]>>();
  private readonly states = new Map<string, Exclude<StripeAccountState, 'active'>>();

  constructor(readonly generator: StripeDataGenerator) {}

  /** Adds records to the account `accessToken` opens; returns how many that resource now holds there. */
  add(accessToken: string, resource: StripeResourcePath, records: readonly StripeObject[]): number {
    const key = accountKeyOf(accessToken);
    let account = this.added.get(key);
    if (!account) {
      account = new Map();
      this.added.set(key, account);
    }
    const list = account.get(resource) ?? [];
    list.push(...records.map((record) => structuredClone(record)));
    list.sort((a, b) => (a.created as number) - (b.created as number));
    account.set(resource, list);
    return list.length;
  }

  /** Every record created in [fromSeconds, toSeconds): the generator's and the added ones, by `created` (none for a dormant account). */
  recordsBetween(resource: StripeResourcePath, fromSeconds: number, toSeconds: number, accessToken: string): StripeObject[] {
    if (this.isDormant(accessToken)) return [];
    const generated = this.generator.recordsBetween(resource, fromSeconds, toSeconds, accessToken);
    const added = (this.added.get(accountKeyOf(accessToken))?.get(resource) ?? []).filter((r) => (r.created as number) >= fromSeconds && (r.created as number) < toSeconds);
    if (added.length === 0) return generated;
    return [...generated, ...added.map((record) => structuredClone(record))].sort((a, b) => (a.created as number) - (b.created as number));
  }

  /** The explore schema of a resource in this account: the sample's, merged with every added record's. */
  exploreSchema(resource: StripeResourcePath, accessToken: string): ExploreSchemaNode {
    let schema = inferExploreSchema(this.generator.sample(resource));
    for (const record of this.added.get(accountKeyOf(accessToken))?.get(resource) ?? []) schema = mergeSchemaNodes(schema, inferExploreSchema(record));
    return schema;
  }

  setState(accessToken: string, state: StripeAccountState): void {
    const key = accountKeyOf(accessToken);
    if (state === 'active') this.states.delete(key);
    else this.states.set(key, state);
  }

  stateOf(accessToken: unknown): StripeAccountState {
    return (typeof accessToken === 'string' ? this.states.get(accountKeyOf(accessToken)) : undefined) ?? 'active';
  }

  /** Whether Stripe takes the key: well-formed, and not revoked. */
  accepts(accessToken: unknown): boolean {
    return isAcceptedStripeKey(accessToken) && this.stateOf(accessToken) !== 'revoked';
  }

  /** Whether the account behind the key creates no records. */
  isDormant(accessToken: unknown): boolean {
    return this.stateOf(accessToken) === 'dormant';
  }

  /** Forgets every added record and every account state. */
  reset(): void {
    this.added.clear();
    this.states.clear();
  }

  /** The added records, for persistence: account key → resource → records. (States are control-API settings, like faults: not kept.) */
  snapshot(): Record<string, Partial<Record<StripeResourcePath, StripeObject[]>>> {
    const out: Record<string, Partial<Record<StripeResourcePath, StripeObject[]>>> = {};
    for (const [key, account] of this.added) out[key] = Object.fromEntries(account);
    return out;
  }

  /** Replaces the added records with a snapshot's. */
  restore(snapshot: Record<string, Partial<Record<StripeResourcePath, StripeObject[]>>>): void {
    this.added.clear();
    for (const [key, account] of Object.entries(snapshot)) this.added.set(key, new Map(Object.entries(account) as [StripeResourcePath, StripeObject[]][]));
  }
}

/** The key accounts are filed under: the SHA-256 of the API key (the key is a secret). */
export function accountKeyOf(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('hex');
}

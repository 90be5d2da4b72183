/**
 * What the emulated Stripe accepts as an API key: a secret (`sk_`) or restricted (`rk_`)
 * key, test or live, as Stripe issues them. Anything else is rejected the way Stripe
 * rejects an unknown key (the connection test says false, explore and runs fail).
 */
export function isAcceptedStripeKey(value: unknown): boolean {
  return typeof value === 'string' && /^(sk|rk)_(test|live)_[A-Za-z0-9]{10,}$/.test(value);
}

/** Auth params as GET returns them: secret values are never echoed. */
export function maskAuthParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(params).map((key) => [key, '***']));
}

/**
 * Scrubbing of text that came from the Platform (or from a network library) before it goes into
 * an error message. Platform bodies sometimes echo request values back; an echoed Stripe key or
 * access token must never reach a log line, a job's failure reason or a GraphQL response.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Longest detail kept in an error message; Platform details can be kilobytes of validation output. */
export const MAX_DETAIL_LENGTH = 300;

const PATTERNS: { pattern: RegExp; replacement: string }[] = [
  // Stripe secret, restricted and publishable keys, and webhook secrets.
  { pattern: /\b(?:sk|rk|pk)_(?:test|live)_[A-Za-z0-9_]+/g, replacement: REDACTED },
  { pattern: /\bwhsec_[A-Za-z0-9]+/g, replacement: REDACTED },
  // `Authorization: Bearer …` echoed back.
  { pattern: /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, replacement: `Bearer ${REDACTED}` },
  // JWT-shaped tokens (IMS access tokens are JWTs: base64url of `{"alg"…` starts with `eyJ`).
  { pattern: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, replacement: REDACTED },
  // `client_secret=…`, `"accessToken": "…"`, `password: …` and the like.
  {
    pattern: /\b(client_secret|clientSecret|access_token|accessToken|refresh_token|refreshToken|api_key|apiKey|password|secret|token)(["']?\s*[:=]\s*["']?)([^\s"'&,;}\]]+)/gi,
    replacement: `$1$2${REDACTED}`,
  },
];

/**
 * Removes anything that looks like a secret from `text`, plus every exact occurrence of the
 * `knownSecrets` (e.g. the configured client secret), then truncates to `maxLength`.
 * Redaction happens before truncation so a secret cut in half cannot slip past the patterns.
 */
export function redactSecrets(text: string, knownSecrets: readonly string[] = [], maxLength = MAX_DETAIL_LENGTH): string {
  let out = text;
  for (const secret of knownSecrets) {
    // Very short values would redact ordinary words; real secrets are long.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  for (const { pattern, replacement } of PATTERNS) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

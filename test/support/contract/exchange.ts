/**
 * One HTTP request/response pair as a test saw it on the wire, in the form the contract
 * validator checks against Adobe's OpenAPI specs.
 */
export interface RecordedExchange {
  /** Upper-case HTTP method: `GET`, `POST`, … */
  method: string;
  /** URL path including the service base path, still percent-encoded, e.g. `/data/foundation/flowservice/connections/abc`. */
  path: string;
  /** Query parameters; a repeated parameter becomes an array. */
  query: Record<string, string | string[]>;
  /** Request header names are matched case-insensitively. */
  requestHeaders: Record<string, string>;
  /** Parsed JSON request body, or undefined (no body, or not JSON). */
  requestBody?: unknown;
  status: number;
  /** Response header names are matched case-insensitively. */
  responseHeaders: Record<string, string>;
  /** Parsed JSON response body, or undefined (empty or not JSON). */
  responseBody?: unknown;
  /**
   * Raw text of a body whose content type said JSON but which did not parse. Optional: filled in by
   * `createRecordingFetch`; the validator reports an unparsable JSON response as a problem.
   */
  unparsedBody?: { request?: string; response?: string };
}

/** `POST /data/foundation/flowservice/connections`: how problems name an exchange. */
export function describeExchange(exchange: Pick<RecordedExchange, 'method' | 'path'>): string {
  return `${exchange.method.toUpperCase()} ${exchange.path}`;
}

/** Header lookup that ignores the case of the name, as HTTP does. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** True for `application/json`, `application/json-patch+json`, `application/vnd.adobe.xed+json; version=1`, … */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  // split always yields at least one element, the media type before any parameter.
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || essence.endsWith('+json') || essence.endsWith('/json');
}

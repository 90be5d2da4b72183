import { isJsonMediaType, type RecordedExchange } from './exchange.js';

export interface RecordingFetch {
  /** Drop-in for the global `fetch`; every call is recorded once its response body has arrived. */
  fetch: typeof fetch;
  /** Exchanges in the order their responses completed. */
  exchanges: RecordedExchange[];
}

export interface RecordingFetchOptions {
  /** The fetch to wrap. Default: the global `fetch` at the time of the call. */
  fetch?: typeof fetch;
}

/**
 * Wraps `fetch` so a test can hand every exchange to the contract validator. Bodies declared JSON
 * (`application/json`, `…+json`) are parsed on both sides; the caller still gets an unread response
 * (the recorder reads a clone). A body that claims JSON but does not parse is kept as text in
 * `unparsedBody`. Network failures are not recorded: there is no exchange to validate.
 */
export function createRecordingFetch(options: RecordingFetchOptions = {}): RecordingFetch {
  const exchanges: RecordedExchange[] = [];

  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const base = options.fetch ?? globalThis.fetch;
    const request = new Request(input, init);
    const requestText = request.body ? await request.clone().text() : undefined;

    const response = await base(request);

    const url = new URL(request.url);
    const requestHeaders = headersToRecord(request.headers);
    const responseHeaders = headersToRecord(response.headers);
    const responseText = response.body ? await response.clone().text() : undefined;
    const requestParsed = parseBody(requestText, requestHeaders['content-type']);
    const responseParsed = parseBody(responseText, responseHeaders['content-type']);

    const exchange: RecordedExchange = {
      method: request.method.toUpperCase(),
      path: url.pathname,
      query: queryToRecord(url.searchParams),
      requestHeaders,
      status: response.status,
      responseHeaders,
    };
    if (requestParsed.body !== undefined) exchange.requestBody = requestParsed.body;
    if (responseParsed.body !== undefined) exchange.responseBody = responseParsed.body;
    if (requestParsed.unparsed !== undefined || responseParsed.unparsed !== undefined) {
      exchange.unparsedBody = {
        ...(requestParsed.unparsed !== undefined ? { request: requestParsed.unparsed } : {}),
        ...(responseParsed.unparsed !== undefined ? { response: responseParsed.unparsed } : {}),
      };
    }
    exchanges.push(exchange);
    return response;
  };

  return { fetch: recordingFetch, exchanges };
}

function parseBody(text: string | undefined, contentType: string | undefined): { body?: unknown; unparsed?: string } {
  if (text === undefined || text === '' || !isJsonMediaType(contentType)) return {};
  try {
    return { body: JSON.parse(text) };
  } catch {
    return { unparsed: text };
  }
}

function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}

function queryToRecord(params: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    record[name] = values.length === 1 ? values[0]! : values;
  }
  return record;
}

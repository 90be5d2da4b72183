import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL error as the gateway sends it. */
interface GraphQLError {
  message: string;
  extensions?: { code?: string; field?: string };
}

/**
 * The few lines a frontend needs to talk to Flowgate: queries and mutations over HTTP, and
 * subscriptions over WebSocket (graphql-ws, `graphql-transport-ws`) on the same URL.
 */
export class GraphQLClient {
  private ws: Client | null = null;

  /**
   * @param url the gateway's GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`.
   * @param credential an API key or JWT, sent as `Authorization: Bearer …` (WebSocket: in connection_init).
   */
  constructor(
    readonly url: string,
    readonly credential: string,
  ) {}

  /** Runs a query or mutation; throws with the gateway's error code and field on any GraphQL error. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${this.credential}` }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: GraphQLError[] };
    if (body.errors?.length) throw new Error(`GraphQL: ${describeErrors(body.errors)}`);
    if (!response.ok || body.data === undefined) throw new Error(`GraphQL: HTTP ${response.status} without data`);
    return body.data;
  }

  /**
   * Subscribes and calls `onMessage` for every message until it returns true; resolves with the
   * last message. Rejects on a GraphQL error, a closed socket, or after `timeoutMs`.
   */
  async subscribeUntil<T>(query: string, variables: Record<string, unknown>, onMessage: (message: T) => boolean, timeoutMs: number): Promise<T> {
    this.ws ??= createClient({ url: this.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: true, retryAttempts: 0, connectionParams: { authorization: `Bearer ${this.credential}` } });
    const client = this.ws;
    return new Promise<T>((resolve, reject) => {
      let last: T | undefined;
      let settled = false;
      const finish = (error: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        dispose();
        if (error) reject(error);
        else resolve(last as T);
      };
      const timer = setTimeout(() => finish(new Error(`subscription gave no final answer within ${timeoutMs} ms`)), timeoutMs);
      const dispose = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => {
            if (value.errors?.length) return finish(new Error(`GraphQL subscription: ${describeErrors(value.errors as GraphQLError[])}`));
            last = value.data as T;
            try {
              if (onMessage(last)) finish(null);
            } catch (error) {
              finish(error as Error);
            }
          },
          error: (error) => finish(error instanceof Error ? error : new Error(`subscription failed: ${describeSocketError(error)}`)),
          complete: () => finish(new Error('the subscription ended before its final answer')),
        },
      );
    });
  }

  async close(): Promise<void> {
    await this.ws?.dispose();
    this.ws = null;
  }
}

function describeErrors(errors: GraphQLError[]): string {
  return errors.map((e) => `${e.extensions?.code ?? 'ERROR'}${e.extensions?.field ? ` (${e.extensions.field})` : ''}: ${e.message}`).join('; ');
}

function describeSocketError(error: unknown): string {
  // graphql-ws reports a closed socket as a CloseEvent-like object.
  if (error && typeof error === 'object' && 'code' in error) return `socket closed with code ${(error as { code: number }).code} ${(error as { reason?: string }).reason ?? ''}`.trim();
  return JSON.stringify(error);
}

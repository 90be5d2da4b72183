import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { refusedAddress, webhookUrlProblem } from '../../domain/outbound-addresses.js';

/** One resolved address of a host. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the system resolver by default). */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebhookSenderOptions {
  /** Send to private, loopback and link-local addresses too (tests, local receivers). Default false. */
  allowPrivateNetworks?: boolean;
  /** Milliseconds one attempt may take, from connecting to the last byte read. Default 10000. */
  timeoutMs?: number;
  /** Bytes of the answer read at most; the connection is dropped after that. Default 65536. */
  maxResponseBytes?: number;
  /** Default: the system resolver (`dns.lookup`, every address). */
  resolve?: Resolve;
}

/** What one attempt came to. */
export interface SendResult {
  /** The receiver's status code; null when none came (refused, unreachable, timed out). */
  statusCode: number | null;
  latencyMs: number;
  /** Why it did not succeed (never the receiver's body); null for a 2xx. */
  error: string | null;
  /** No retry can help (a refused address, an unusable URL): the delivery fails now. */
  final: boolean;
}

const systemResolve: Resolve = async (hostname) => (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

/**
 * Posts webhook bodies, guarded against server-side request forgery: the host is resolved and
 * every address checked before anything is sent, and checked again inside the connection's own
 * lookup, so the socket can only go to an address that passed (a DNS answer that changes in
 * between — rebinding — is refused, not followed). Redirects are not followed, the whole attempt
 * has a deadline, and at most `maxResponseBytes` of the answer are read.
 */
export class WebhookSender {
  private readonly allowPrivate: boolean;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly resolve: Resolve;

  constructor(options: WebhookSenderOptions = {}) {
    this.allowPrivate = options.allowPrivateNetworks ?? false;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 65_536;
    this.resolve = options.resolve ?? systemResolve;
  }

  async post(rawUrl: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const started = performance.now();
    const done = (result: Omit<SendResult, 'latencyMs'>): SendResult => ({ ...result, latencyMs: Math.round(performance.now() - started) });
    const problem = webhookUrlProblem(rawUrl, this.allowPrivate);
    if (problem !== null) return done({ statusCode: null, error: `refused: the URL ${problem}`, final: true });
    const url = new URL(rawUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');

    // Checked before connecting, for a clear answer; the connection checks again (see `lookup`).
    if (isIP(host) === 0) {
      let addresses: ResolvedAddress[];
      try {
        addresses = await this.checkedAddresses(host);
      } catch (error) {
        return done({ statusCode: null, error: (error as Error).message, final: error instanceof RefusedAddressError });
      }
      if (addresses.length === 0) return done({ statusCode: null, error: `${host} has no address`, final: false });
    }
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(done(result));
      };
      const transport = url.protocol === 'https:' ? https : http;
      const request = transport.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        // A fresh connection per attempt: a pooled one could outlive the address check it passed.
        agent: false,
        lookup: this.lookup,
      });
      const timer = setTimeout(() => {
        finish({ statusCode: null, error: `timed out after ${this.timeoutMs} ms`, final: false });
        request.destroy();
      }, this.timeoutMs);
      request.on('error', (error: Error) =>
        finish({ statusCode: null, error: error instanceof RefusedAddressError ? error.message : `could not deliver: ${error.message}`, final: error instanceof RefusedAddressError }),
      );
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const outcome = (): Omit<SendResult, 'latencyMs'> => {
          if (status >= 200 && status < 300) return { statusCode: status, error: null, final: false };
          if (status >= 300 && status < 400) return { statusCode: status, error: `the receiver answered ${status}; redirects are not followed`, final: false };
          return { statusCode: status, error: `the receiver answered ${status}`, final: false };
        };
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > this.maxResponseBytes) {
            // Enough: what a receiver says beyond this is never looked at.
            finish(outcome());
            response.destroy();
          }
        });
        response.on('end', () => finish(outcome()));
        response.on('error', () => finish(outcome()));
        response.on('close', () => finish(outcome()));
      });
      request.end(body);
    });
  }

  /** Every address of `host`, or RefusedAddressError naming the first one that may not be sent to. */
  private async checkedAddresses(host: string): Promise<ResolvedAddress[]> {
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolve(host);
    } catch (error) {
      throw new Error(`could not resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (!this.allowPrivate) {
      for (const { address } of addresses) {
        const refused = refusedAddress(address);
        if (refused !== null) throw new RefusedAddressError(`refused: ${host} resolves to ${refused}`);
      }
    }
    return addresses;
  }

  /** The connection's own name resolution: resolves again and hands over only checked addresses. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.checkedAddresses(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no usable address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        if (options.all) (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: Error) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/** An address the rules refuse (private, loopback, link-local…): no retry will change that. */
export class RefusedAddressError extends Error {}

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WebhookSender, type Resolve } from '../../src/jobs/webhooks/webhook-sender.js';

/** A real HTTP receiver on 127.0.0.1 that counts what reaches it. */
async function receiver(handle: (request: IncomingMessage, response: ServerResponse) => void = (_q, r) => r.end('ok')): Promise<{ url: string; port: number; hits: () => number; server: Server }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits++;
    request.resume();
    handle(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return { url: `http://127.0.0.1:${port}/hook`, port, hits: () => hits, server };
}
const servers: Server[] = [];

const BODY = '{"id":"d-1"}';
const HEADERS = { 'content-type': 'application/json' };

describe('WebhookSender', () => {
  after(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('posts the body to an allowed address and reports the status and latency', async () => {
    let received = '';
    const r = await receiver((request, response) => {
      let body = '';
      request.on('data', (c: Buffer) => (body += c.toString()));
      request.on('end', () => {
        received = body;
        response.statusCode = 204;
        response.end();
      });
    });
    const result = await new WebhookSender({ allowPrivateNetworks: true }).post(r.url, BODY, HEADERS);
    assert.deepEqual({ ...result, latencyMs: typeof result.latencyMs }, { statusCode: 204, error: null, final: false, latencyMs: 'number' });
    assert.equal(received, BODY);
  });

  describe('refuses to reach private networks (SSRF)', () => {
    it('refuses a loopback address written in the URL, without connecting', async () => {
      const r = await receiver();
      const result = await new WebhookSender().post(r.url, BODY, HEADERS);
      assert.equal(result.statusCode, null);
      assert.equal(result.final, true);
      assert.match(result.error ?? '', /refused: the URL must not point at a private, loopback or link-local address \(127\.0\.0\.1\)/);
      assert.equal(r.hits(), 0);
    });

    it('refuses localhost by name, however it is spelled', async () => {
      const r = await receiver();
      const result = await new WebhookSender().post(`http://localhost.:${r.port}/hook`, BODY, HEADERS);
      assert.equal(result.final, true);
      assert.match(result.error ?? '', /localhost/);
      assert.equal(r.hits(), 0);
    });

    it('checks every address a name resolves to, not just the first', async () => {
      const r = await receiver();
      const resolve: Resolve = async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
      const result = await new WebhookSender({ resolve }).post(`http://receiver.example:${r.port}/hook`, BODY, HEADERS);
      assert.match(result.error ?? '', /refused: receiver\.example resolves to 127\.0\.0\.1 is a private, loopback or link-local address/);
      assert.equal(r.hits(), 0);
    });

    it('checks again when connecting, so a DNS answer that changes after the check (rebinding) is refused, not followed', async () => {
      const r = await receiver();
      let lookups = 0;
      // Public when first asked, loopback when the socket asks.
      const resolve: Resolve = async () => (lookups++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
      const result = await new WebhookSender({ resolve }).post(`http://rebinding.example:${r.port}/hook`, BODY, HEADERS);
      assert.ok(lookups >= 2, 'the connection resolved the name itself');
      assert.equal(result.final, true);
      assert.match(result.error ?? '', /refused: rebinding\.example resolves to 127\.0\.0\.1/);
      assert.equal(r.hits(), 0, 'nothing reached the loopback receiver');
    });

    it('connects to what the connection-time check passed (allowed here: private networks are on)', async () => {
      const r = await receiver();
      const resolve: Resolve = async () => [{ address: '127.0.0.1', family: 4 }];
      const result = await new WebhookSender({ resolve, allowPrivateNetworks: true }).post(`http://named-receiver.example:${r.port}/hook`, BODY, HEADERS);
      assert.equal(result.statusCode, 200);
      assert.equal(r.hits(), 1);
    });
  });

  it('does not follow a redirect: the attempt fails with the 3xx and the target hears nothing', async () => {
    const target = await receiver();
    const redirecting = await receiver((_q, response) => {
      response.writeHead(307, { location: target.url });
      response.end();
    });
    const result = await new WebhookSender({ allowPrivateNetworks: true }).post(redirecting.url, BODY, HEADERS);
    assert.equal(result.statusCode, 307);
    assert.match(result.error ?? '', /redirects are not followed/);
    assert.equal(result.final, false);
    assert.equal(target.hits(), 0);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const silent = await receiver(() => undefined);
    const result = await new WebhookSender({ allowPrivateNetworks: true, timeoutMs: 300 }).post(silent.url, BODY, HEADERS);
    assert.equal(result.statusCode, null);
    assert.equal(result.error, 'timed out after 300 ms');
    assert.equal(result.final, false);
  });

  it('reads at most maxResponseBytes of an answer: an endless answer still ends the attempt, as a success', async () => {
    const endless = await receiver((_q, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', pump);
      };
      pump();
    });
    const result = await new WebhookSender({ allowPrivateNetworks: true, maxResponseBytes: 1024, timeoutMs: 20_000 }).post(endless.url, BODY, HEADERS);
    assert.deepEqual([result.statusCode, result.error], [200, null]);
  });

  it('reports a 5xx as a failed attempt worth retrying', async () => {
    const failing = await receiver((_q, response) => {
      response.statusCode = 503;
      response.end('busy');
    });
    const result = await new WebhookSender({ allowPrivateNetworks: true }).post(failing.url, BODY, HEADERS);
    assert.deepEqual([result.statusCode, result.error, result.final], [503, 'the receiver answered 503', false]);
  });
});

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRecordingFetch } from '../contract/recording-fetch.js';

/** Echo server: answers what each path asks for. */
function startServer(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const path = (request.url ?? '').split('?')[0];
      if (path === '/broken') {
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"id":');
      } else if (path === '/text') {
        response.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
      } else if (path === '/empty') {
        response.writeHead(204).end();
      } else {
        response.writeHead(201, { 'content-type': 'application/json; charset=utf-8', 'X-Request-Id': 'req-1' }).end(JSON.stringify({ received: body ? JSON.parse(body) : null }));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

describe('createRecordingFetch', () => {
  let server: Server;
  let url: string;
  before(async () => ({ server, url } = await startServer()));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('records method, path, query, headers and both JSON bodies, and leaves the response unread for the caller', async () => {
    const recorder = createRecordingFetch();
    const response = await recorder.fetch(`${url}/data/foundation/flowservice/flows?property=a==1&property=b==2&limit=5`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Sandbox-Name': 'prod' },
      body: JSON.stringify({ name: 'flow' }),
    });
    assert.deepEqual(await response.json(), { received: { name: 'flow' } });

    assert.equal(recorder.exchanges.length, 1);
    const exchange = recorder.exchanges[0]!;
    assert.equal(exchange.method, 'POST');
    assert.equal(exchange.path, '/data/foundation/flowservice/flows');
    assert.deepEqual(exchange.query, { property: ['a==1', 'b==2'], limit: '5' });
    assert.equal(exchange.requestHeaders['x-sandbox-name'], 'prod');
    assert.deepEqual(exchange.requestBody, { name: 'flow' });
    assert.equal(exchange.status, 201);
    assert.equal(exchange.responseHeaders['x-request-id'], 'req-1');
    assert.deepEqual(exchange.responseBody, { received: { name: 'flow' } });
    assert.equal(exchange.unparsedBody, undefined);
  });

  it('accepts a Request object and keeps a percent-encoded path as sent', async () => {
    const recorder = createRecordingFetch();
    const id = encodeURIComponent('https://ns.adobe.com/t/schemas/abc');
    const response = await recorder.fetch(new Request(`${url}/data/foundation/schemaregistry/tenant/schemas/${id}`));
    await response.text();
    const [exchange] = recorder.exchanges;
    assert.ok(exchange, 'the request was recorded');
    assert.equal(exchange.path, `/data/foundation/schemaregistry/tenant/schemas/${id}`);
    assert.equal(exchange.method, 'GET');
    assert.equal(exchange.requestBody, undefined);
  });

  it('keeps a JSON response that does not parse as text, and ignores non-JSON and empty bodies', async () => {
    const recorder = createRecordingFetch();
    assert.equal(await (await recorder.fetch(`${url}/broken`)).text(), '{"id":');
    assert.equal(await (await recorder.fetch(`${url}/text`)).text(), 'plain words');
    await recorder.fetch(`${url}/empty`, { method: 'DELETE' });
    const [broken, text, empty] = recorder.exchanges;
    assert.ok(broken && text && empty, 'the three requests were recorded');
    assert.deepEqual(broken.unparsedBody, { response: '{"id":' });
    assert.equal(broken.responseBody, undefined);
    assert.equal(text.responseBody, undefined);
    assert.equal(text.unparsedBody, undefined);
    assert.equal(empty.status, 204);
    assert.equal(empty.responseBody, undefined);
  });

  it('wraps the fetch it is given instead of the global one', async () => {
    const calls: string[] = [];
    const inner: typeof fetch = async (input) => {
      calls.push(input instanceof Request ? input.url : String(input));
      return new Response(JSON.stringify({ ok: true }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const recorder = createRecordingFetch({ fetch: inner });
    await recorder.fetch('http://example.invalid/data/foundation/catalog/dataSets');
    assert.deepEqual(calls, ['http://example.invalid/data/foundation/catalog/dataSets']);
    assert.deepEqual(recorder.exchanges[0]?.responseBody, { ok: true });
  });
});

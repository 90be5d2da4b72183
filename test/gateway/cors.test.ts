import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { originAllowed, requestOriginAllowed } from '../../src/gateway/cors.js';

describe('originAllowed', () => {
  const allowed = ['https://app.example.com', 'http://localhost:*'];

  it('matches exact origins, and a loopback wildcard on any port', () => {
    for (const origin of ['https://app.example.com', 'http://localhost:3000', 'http://localhost:5173', 'http://localhost']) assert.equal(originAllowed(origin, allowed), true, origin);
  });

  it('matches nothing that merely starts or ends like an allowed origin', () => {
    for (const origin of [
      'https://app.example.com.evil.test',
      'http://app.example.com',
      'https://app.example.com:8443',
      'http://localhost.evil.test',
      'http://localhost:3000.evil.test',
      'https://localhost:3000',
      'http://127.0.0.1:3000',
      'null',
    ]) {
      assert.equal(originAllowed(origin, allowed), false, origin);
    }
  });
});

describe('requestOriginAllowed (WebSocket upgrades)', () => {
  it('lets through clients that send no Origin (not a browser) and the gateway’s own pages', () => {
    assert.equal(requestOriginAllowed({ host: 'flowgate.example.com' }, []), true);
    assert.equal(requestOriginAllowed({ host: 'flowgate.example.com', origin: 'https://flowgate.example.com' }, []), true);
  });

  it('refuses another site’s page', () => {
    assert.equal(requestOriginAllowed({ host: 'flowgate.example.com', origin: 'https://evil.example' }, ['https://app.example.com']), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePlatformErrorBody } from '../../src/platform/platform-errors.js';
import { redactSecrets } from '../../src/platform/secret-redaction.js';

describe('parsePlatformErrorBody', () => {
  it('reads a Flow Service code without its FLOW- prefix, with title, detail and field', () => {
    const parsed = parsePlatformErrorBody({
      type: 'https://ns.adobe.com/aep/errors/FLOW-1404-412',
      title: 'Version not matching',
      status: 412,
      report: { 'detailed-message': 'Supplied version=["a"] does not match the current version on entity=["b"]' },
      errorMessage: 'Supplied version=["a"] does not match the current version on entity=["b"]',
      currentEtag: '"b"',
      field: 'If-Match',
    });
    assert.deepEqual(parsed, {
      fromGateway: false,
      platformCode: '1404-412',
      title: 'Version not matching',
      detail: 'Supplied version=["a"] does not match the current version on entity=["b"]',
      field: 'If-Match',
      currentEtag: '"b"',
    });
  });

  it("takes the current etag from the troubleshooting page's errorMessage when no field names it", () => {
    const parsed = parsePlatformErrorBody({ errorMessage: 'Supplied version=["1a"] does not match the current version on entity=["2b-0000"]' });
    assert.equal(parsed.currentEtag, '"2b-0000"');
  });

  it('keeps the service prefix of other services', () => {
    assert.equal(parsePlatformErrorBody({ type: 'http://ns.adobe.com/aep/errors/XDM-1521-400' }).platformCode, 'XDM-1521-400');
    assert.equal(parsePlatformErrorBody({ type: 'http://ns.adobe.com/aep/errors/CAT-1001-400' }).platformCode, 'CAT-1001-400');
    assert.equal(parsePlatformErrorBody({ type: 'https://ns.adobe.com/aep/errors/MAPPER-1015-400' }).platformCode, 'MAPPER-1015-400');
  });

  it('reads the gateway shape', () => {
    assert.deepEqual(parsePlatformErrorBody({ error_code: '403010', message: 'Oauth token is missing.' }), {
      fromGateway: true,
      platformCode: '403010',
      detail: 'Oauth token is missing.',
    });
  });

  it('reads the placeholder shape without a code', () => {
    const parsed = parsePlatformErrorBody({ type: '/placeholder/type/uri', status: 400, title: 'BadRequestError', detail: 'A valid content-type must be specified' });
    assert.equal(parsed.platformCode, undefined);
    assert.equal(parsed.title, 'BadRequestError');
    assert.equal(parsed.detail, 'A valid content-type must be specified');
  });

  it('does not throw on bodies that are not JSON objects', () => {
    assert.deepEqual(parsePlatformErrorBody(undefined), { fromGateway: false, detail: undefined });
    assert.deepEqual(parsePlatformErrorBody('<html>Bad gateway</html>'), { fromGateway: false, detail: '<html>Bad gateway</html>' });
    assert.deepEqual(parsePlatformErrorBody([1, 2]), { fromGateway: false, detail: undefined });
  });
});

describe('redactSecrets', () => {
  it('removes Stripe keys, bearer tokens, JWTs and secret-named values', () => {
    const text = redactSecrets('key sk_live_abcDEF123 rk_test_x1 auth Bearer abc.def-ghi token eyJhbGciOiJSUzI1NiJ9.eyJ0eXBlIjoiYWNjZXNzIn0.c2ln client_secret=hunter2hunter2 "accessToken": "xyz123"');
    for (const secret of ['sk_live_abcDEF123', 'rk_test_x1', 'abc.def-ghi', 'eyJhbGciOiJSUzI1NiJ9', 'hunter2hunter2', 'xyz123']) {
      assert.ok(!text.includes(secret), `${secret} in ${text}`);
    }
  });

  it('removes exact known secrets and keeps ordinary text and ids', () => {
    const text = redactSecrets('client p8e-WeirdSecret-Value failed for flow 84c64142-1741-4b0b-95a9-65644eba0cf6', ['p8e-WeirdSecret-Value']);
    assert.equal(text, 'client [redacted] failed for flow 84c64142-1741-4b0b-95a9-65644eba0cf6');
  });

  it('truncates after redacting, so half a secret cannot slip through', () => {
    const text = redactSecrets(`${'a'.repeat(290)} sk_test_SECRETSECRET123`, [], 300);
    assert.ok(!text.includes('sk_test_SECR'));
    assert.ok(text.length <= 300);
  });
});

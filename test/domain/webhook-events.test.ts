import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signatureHeader, verifySignature } from '../../src/domain/webhook-events.js';

const SECRET = 'whsec_test-secret';
const BODY = '{"id": "d-1", "event": "WEBHOOK_TEST"}';
const T = 1_790_000_000;

describe('webhook signatures', () => {
  it('signs "t.body" with HMAC-SHA256 of the secret, as t=<unix>,v1=<hex> (Stripe’s scheme)', () => {
    const expected = createHmac('sha256', SECRET).update(`${T}.${BODY}`).digest('hex');
    assert.equal(signatureHeader([SECRET], T, BODY), `t=${T},v1=${expected}`);
  });

  it('verifies as a receiver does: the right secret and body within the tolerance', () => {
    const header = signatureHeader([SECRET], T, BODY);
    assert.equal(verifySignature(header, BODY, SECRET, T + 10), true);
    assert.equal(verifySignature(header, BODY, 'whsec_other', T + 10), false, 'another secret');
    assert.equal(verifySignature(header, BODY.replace('d-1', 'd-2'), SECRET, T + 10), false, 'a changed body');
    assert.equal(verifySignature(header, BODY, SECRET, T + 301), false, 'a replay after the tolerance');
    assert.equal(verifySignature('v1=abc', BODY, SECRET, T), false, 'no timestamp');
  });

  it('accepts any of several v1 signatures (one per secret given)', () => {
    const header = signatureHeader(['whsec_old', SECRET], T, BODY);
    assert.equal(verifySignature(header, BODY, SECRET, T), true);
    assert.equal(verifySignature(header, BODY, 'whsec_old', T), true);
  });
});

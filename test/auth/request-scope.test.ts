import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Caller } from '../../src/auth/caller.js';
import { chooseSandbox } from '../../src/auth/request-scope.js';
import { ForbiddenError, UnknownSandboxError } from '../../src/errors/app-errors.js';

const caller = (sandboxes: string[] = []): Caller => ({ id: 'apikey:t', kind: 'API_KEY', role: 'viewer', sandboxes, apiKeyId: null, expiresAt: null });
const KNOWN = ['prod', 'dev', 'stage'];

describe('chooseSandbox with the deployment’s known sandboxes', () => {
  it('accepts a known sandbox and the default', () => {
    assert.equal(chooseSandbox(caller(), 'dev', 'prod', KNOWN), 'dev');
    assert.equal(chooseSandbox(caller(), undefined, 'prod', KNOWN), 'prod');
  });

  it('refuses an unknown one with BAD_REQUEST naming it (a typo must not reach the Platform)', () => {
    assert.throws(
      () => chooseSandbox(caller(), 'prdo', 'prod', KNOWN),
      (error: unknown) => error instanceof UnknownSandboxError && error.code === 'BAD_REQUEST' && error.sandbox === 'prdo' && /prdo/.test(error.message),
    );
  });

  it('lists only the sandboxes a bound caller may use', () => {
    assert.throws(
      () => chooseSandbox(caller(['prod']), 'prdo', 'prod', KNOWN),
      (error: unknown) => error instanceof UnknownSandboxError && error.details().knownSandboxes.join() === 'prod',
    );
  });

  it('still answers FORBIDDEN for a known sandbox the caller is not bound to, and checks nothing when none are known', () => {
    assert.throws(() => chooseSandbox(caller(['prod']), 'dev', 'prod', KNOWN), ForbiddenError);
    assert.equal(chooseSandbox(caller(), 'anything', 'prod', null), 'anything');
  });
});

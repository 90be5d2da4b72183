import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.js';

const KEY = 'a'.repeat(64);

describe('loadConfig', () => {
  describe('with no AEP credentials', () => {
    it('points at the embedded emulator on port 4010 with documented defaults', () => {
      const config = loadConfig({});
      assert.equal(config.platform.mode, 'embedded');
      assert.equal(config.platform.platformUrl, 'http://127.0.0.1:4010');
      assert.equal(config.platform.clientId, 'flowgate-local');
      assert.equal(config.port, 4000);
      assert.equal(config.queuePrefix, '{flowgate}', 'queue keys carry a Redis Cluster hash tag');
      assert.equal(config.secretKey, null);
    });
  });

  describe('REDIS_CLUSTER_NODES', () => {
    it('is unset by default: the single Redis at REDIS_URL', () => {
      assert.equal(loadConfig({}).redisClusterNodes, null);
    });

    it('lists the seed nodes of a cluster, IPv6 hosts in brackets', () => {
      const config = loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002' });
      assert.deepEqual(config.redisClusterNodes, [
        { host: 'redis-1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ]);
      assert.equal(config.redisNamespace, 'flowgate', 'keys and channels spread over shards use the bare namespace');
    });

    it('names every entry that is not host:port', () => {
      assert.throws(
        () => loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2,redis-3:99999' }),
        (error: unknown) => error instanceof ConfigError && error.problems.filter((p) => p.startsWith('REDIS_CLUSTER_NODES')).length === 2 && error.problems.some((p) => p.includes('"redis-2"')),
      );
    });
  });

  describe('with AEP credentials', () => {
    const aep = { AEP_CLIENT_ID: 'abc', AEP_CLIENT_SECRET: 'shh', AEP_ORG_ID: 'ABC123@AdobeOrg', FLOWGATE_SECRET_KEY: KEY };

    it('talks to the real Platform and IMS by default', () => {
      const config = loadConfig(aep);
      assert.equal(config.platform.mode, 'remote');
      assert.equal(config.platform.platformUrl, 'https://platform.adobe.io');
      assert.equal(config.platform.imsUrl, 'https://ims-na1.adobelogin.com');
      assert.equal(config.secretKey?.key.length, 32);
    });

    it('refuses to start without FLOWGATE_SECRET_KEY', () => {
      const { FLOWGATE_SECRET_KEY: _omit, ...rest } = aep;
      assert.throws(
        () => loadConfig(rest),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('FLOWGATE_SECRET_KEY')),
      );
    });
  });

  it('lists every problem at once', () => {
    try {
      loadConfig({ PORT: 'eighty', REDIS_URL: 'not a url', AEP_CLIENT_ID: 'only-this', LOG_LEVEL: 'chatty' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of ['PORT', 'REDIS_URL', 'LOG_LEVEL']) assert.match(text, new RegExp(name));
    }
  });

  it('refuses partial AEP credentials, naming what is missing', () => {
    assert.throws(
      () => loadConfig({ AEP_CLIENT_ID: 'abc' }),
      (error: unknown) => error instanceof ConfigError && /AEP_CLIENT_SECRET, AEP_ORG_ID/.test(error.message),
    );
  });

  describe('GraphQL limits and rate limits', () => {
    it('have documented defaults, with introspection on outside production and off in it', () => {
      const config = loadConfig({});
      assert.deepEqual(config.graphql, { maxDepth: 12, maxAliases: 15, maxCost: 5000, maxTokens: 3000, maxRequestBytes: 1_000_000, maxBatch: 10, introspection: true });
      assert.deepEqual(config.rateLimits, { mutationsPerMinute: 300, explorePerMinute: 30 });
      assert.equal(loadConfig({ NODE_ENV: 'production' }).graphql.introspection, false);
    });

    it('take GRAPHQL_INTROSPECTION over NODE_ENV', () => {
      assert.equal(loadConfig({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' }).graphql.introspection, true);
      assert.equal(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).graphql.introspection, false);
    });

    it('refuse values that are not numbers in range, or not true/false, naming each', () => {
      try {
        loadConfig({ GRAPHQL_MAX_DEPTH: '0', GRAPHQL_MAX_COST: 'lots', GRAPHQL_INTROSPECTION: 'yes', RATE_LIMIT_EXPLORE_PER_MINUTE: '-1', GRAPHQL_MAX_REQUEST_BYTES: '10' });
        assert.fail('expected a ConfigError');
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const name of ['GRAPHQL_MAX_DEPTH', 'GRAPHQL_MAX_COST', 'GRAPHQL_INTROSPECTION', 'RATE_LIMIT_EXPLORE_PER_MINUTE', 'GRAPHQL_MAX_REQUEST_BYTES']) assert.match(text, new RegExp(name));
      }
    });
  });

  it('refuses a secret key that is not 32 bytes', () => {
    assert.throws(
      () => loadConfig({ FLOWGATE_SECRET_KEY: 'short' }),
      (error: unknown) => error instanceof ConfigError && /32 bytes/.test(error.message),
    );
  });
  describe('caller authentication', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.problems;
      }
    };

    it('accepts API keys only by default, and re-checks sockets every 60 s', () => {
      const config = loadConfig({});
      assert.equal(config.auth.jwt, null);
      assert.equal(config.auth.socketRecheckSeconds, 60);
    });

    it('verifies HS256 tokens with a shared secret of at least 32 bytes, with default claim names', () => {
      const config = loadConfig({ AUTH_JWT_SECRET: 's'.repeat(32), AUTH_JWT_ISSUER: 'https://idp.example/' });
      assert.equal(config.auth.jwt?.secret?.length, 32);
      assert.equal(config.auth.jwt?.roleClaim, 'flowgate_role');
      assert.equal(config.auth.jwt?.sandboxesClaim, 'flowgate_sandboxes');
      assert.equal(config.auth.jwt?.audience, null);
      assert.match(problems({ AUTH_JWT_SECRET: 'short' }).join(), /AUTH_JWT_SECRET: must be at least 32 bytes/);
    });

    it('takes a JWKS URL over https, or http on the local machine only, and then requires issuer and audience', () => {
      const idp = { AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'flowgate' };
      assert.equal(loadConfig({ ...idp, AUTH_JWKS_URL: 'https://idp.example/jwks.json' }).auth.jwt?.jwksUrl, 'https://idp.example/jwks.json');
      assert.ok(loadConfig({ ...idp, AUTH_JWKS_URL: 'http://127.0.0.1:9000/jwks.json' }).auth.jwt);
      assert.ok(loadConfig({ ...idp, AUTH_JWKS_URL: 'http://localhost/jwks.json' }).auth.jwt);
      assert.match(problems({ ...idp, AUTH_JWKS_URL: 'http://idp.example/jwks.json' }).join(), /AUTH_JWKS_URL: must be https/);
      assert.match(problems({ ...idp, AUTH_JWKS_URL: 'http://localhost.evil.example/jwks.json' }).join(), /AUTH_JWKS_URL: must be https/);
      assert.match(problems({ AUTH_JWKS_URL: 'https://idp.example/jwks.json' }).join(), /AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE: required/);
      assert.match(problems({ ...idp, AUTH_JWKS_URL: 'https://idp.example/jwks.json', AUTH_JWT_SECRET: 's'.repeat(32) }).join(), /set one of them, not both/);
    });
  });

  describe('FLOWGATE_PREVIOUS_SECRET_KEYS', () => {
    const older = 'b'.repeat(64);
    const base64 = Buffer.alloc(32, 7).toString('base64');

    it('reads id:key pairs (hex or base64) as keys that only decrypt', () => {
      const config = loadConfig({ FLOWGATE_SECRET_KEY: KEY, FLOWGATE_SECRET_KEY_ID: 'k3', FLOWGATE_PREVIOUS_SECRET_KEYS: `k1:${older}, k2:${base64}` });
      assert.equal(config.secretKey?.id, 'k3');
      assert.deepEqual(
        config.previousSecretKeys.map((k) => [k.id, k.key.toString('hex')]),
        [
          ['k1', older],
          ['k2', Buffer.alloc(32, 7).toString('hex')],
        ],
      );
      assert.deepEqual(loadConfig({}).previousSecretKeys, []);
    });

    it('lists every bad entry by position and id, never showing key material', () => {
      const secretLooking = 'c'.repeat(62);
      try {
        loadConfig({ FLOWGATE_SECRET_KEY: KEY, FLOWGATE_PREVIOUS_SECRET_KEYS: `k1:${secretLooking},nocolon${secretLooking},k2:${older},k2:${older},k1x:${older}` });
        assert.fail('expected a ConfigError');
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          'FLOWGATE_PREVIOUS_SECRET_KEYS: entry 1 (k1): key must be 32 bytes, as 64 hex characters or base64',
          'FLOWGATE_PREVIOUS_SECRET_KEYS: entry 2 must be id:key with an id of 1 to 32 letters, digits, . _ or -',
          'FLOWGATE_PREVIOUS_SECRET_KEYS: entry 4 (k2): the id appears twice',
        ]);
        assert.ok(!error.message.includes(secretLooking) && !error.message.includes(older));
      }
    });

    it('refuses the current key id with different key material', () => {
      assert.throws(
        () => loadConfig({ FLOWGATE_SECRET_KEY: KEY, FLOWGATE_SECRET_KEY_ID: 'k1', FLOWGATE_PREVIOUS_SECRET_KEYS: `k1:${older}` }),
        (error: unknown) => error instanceof ConfigError && /the id is FLOWGATE_SECRET_KEY_ID's, with a different key/.test(error.message),
      );
    });
  });

  describe('CORS_ORIGINS and AEP_SANDBOXES', () => {
    const aep = { AEP_CLIENT_ID: 'abc', AEP_CLIENT_SECRET: 'shh', AEP_ORG_ID: 'ABC123@AdobeOrg', FLOWGATE_SECRET_KEY: KEY };

    it('allows local dev servers and the emulator’s sandboxes in the embedded mode, nothing and no check with a real Platform', () => {
      const embedded = loadConfig({});
      assert.deepEqual(embedded.cors.origins, ['http://localhost:*', 'http://127.0.0.1:*']);
      assert.deepEqual(embedded.platform.sandboxes, ['prod', 'dev']);
      const remote = loadConfig(aep);
      assert.deepEqual(remote.cors.origins, []);
      assert.equal(remote.platform.sandboxes, null);
    });

    it('takes exact origins and loopback wildcards, and refuses anything else, naming it', () => {
      assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:*' }).cors.origins, ['https://app.example.com', 'http://localhost:*']);
      for (const bad of ['*', 'https://app.example.com/', 'app.example.com', 'https://*.example.com', 'ftp://example.com']) {
        assert.throws(
          () => loadConfig({ CORS_ORIGINS: bad }),
          (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('CORS_ORIGINS') && p.includes(bad)),
          bad,
        );
      }
    });

    it('takes AEP_SANDBOXES, which must include AEP_SANDBOX', () => {
      assert.deepEqual(loadConfig({ ...aep, AEP_SANDBOXES: 'prod, stage' }).platform.sandboxes, ['prod', 'stage']);
      assert.throws(
        () => loadConfig({ ...aep, AEP_SANDBOXES: 'stage', AEP_SANDBOX: 'prod' }),
        (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('AEP_SANDBOX:')),
      );
    });
  });

  describe('METRICS_PORT', () => {
    it('defaults to 9464, turns metrics off with 0, and asks for a free port with any', () => {
      assert.equal(loadConfig({}).metrics.port, 9464);
      assert.equal(loadConfig({ METRICS_PORT: '0' }).metrics.port, null);
      assert.equal(loadConfig({ METRICS_PORT: 'any' }).metrics.port, 0);
      assert.equal(loadConfig({ METRICS_PORT: '9100' }).metrics.port, 9100);
    });

    it("refuses the API's own port and anything that is not a port", () => {
      for (const env of [{ PORT: '4000', METRICS_PORT: '4000' }, { METRICS_PORT: '70000' }, { METRICS_PORT: 'metrics' }]) {
        assert.throws(
          () => loadConfig(env),
          (error: unknown) => error instanceof ConfigError && error.problems.some((p) => p.startsWith('METRICS_PORT')),
          JSON.stringify(env),
        );
      }
    });
  });
});

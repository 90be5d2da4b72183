/**
 * The cluster pass of `npm test`: starts a local 3-primary Redis Cluster (Debian's
 * `redis-server` and `redis-cli`, nothing else to install), runs the integration suites that
 * exercise Redis the most — gateway, onboarding, subscriptions, security, and the watchdog and
 * webhook queues — again with every
 * TestStack on the cluster (TEST_REDIS_CLUSTER_NODES), then stops the cluster. Exits with the
 * test run's code.
 *
 * `node dist/scripts/test-on-cluster.js [files…]` runs other compiled test files instead.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { LocalRedisCluster } from '../test/gateway/support/redis-cluster.js';

/** The suites run on the cluster, relative to dist/test. */
export const CLUSTER_SUITES = [
  'gateway/connections.integration.test.js',
  'gateway/dataflows.integration.test.js',
  'gateway/operations.integration.test.js',
  'gateway/onboarding.integration.test.js',
  'gateway/onboarding-subscription.integration.test.js',
  'gateway/security-auth.integration.test.js',
  'gateway/security-hostile.integration.test.js',
  'gateway/watchdog.integration.test.js',
  'gateway/webhooks.integration.test.js',
];

async function main(): Promise<number> {
  const testDir = path.resolve(__dirname, '../test');
  const files = process.argv.length > 2 ? process.argv.slice(2) : CLUSTER_SUITES.map((file) => path.join(testDir, file));
  const started = Date.now();
  const cluster = await LocalRedisCluster.start(3);
  console.log(`# Redis Cluster pass: 3 primaries on ${cluster.nodes} (formed in ${Date.now() - started} ms); ${files.length} suites`);
  try {
    return await new Promise<number>((resolve, reject) => {
      // --test-force-exit: as `npm test` (see README, "Tests"): a file whose tests are done does not wait for a handle left open.
      const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-force-exit', ...files], { stdio: 'inherit', env: { ...process.env, TEST_REDIS_CLUSTER_NODES: cluster.nodes } });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      // Interrupted (Ctrl-C, a CI timeout): the tests stop, then the cluster (in `finally`).
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
    });
  } finally {
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../support/local-services.js';

/**
 * A Redis Cluster of the test's own: `primaries` Debian `redis-server` processes on free ports
 * (cluster mode, nothing persisted, their cluster config files in a temp dir), joined with
 * `redis-cli --cluster create … --cluster-replicas 0`. `start()` resolves once every node says
 * cluster_state:ok; `stop()` kills them and removes the temp dir.
 */
export class LocalRedisCluster {
  /** What the servers and redis-cli printed (for diagnostics when the cluster does not form). */
  readonly output: string[] = [];
  private readonly children = new Map<number, ChildProcess>();
  /** Kills the servers if the test process exits without `stop()` (a failed hook, a crash): they must not outlive it. */
  private readonly killOnExit = () => {
    for (const child of this.children.values()) child.kill('SIGKILL');
  };

  private constructor(
    readonly ports: number[],
    private readonly dir: string,
  ) {
    process.once('exit', this.killOnExit);
  }

  static async start(primaries = 3): Promise<LocalRedisCluster> {
    const ports: number[] = [];
    while (ports.length < primaries) {
      const port = await freePort();
      // A node also listens on port + 10000 (the cluster bus); both must be free.
      if (port <= 55535 && !ports.includes(port) && (await isFree(port + 10000))) ports.push(port);
    }
    const cluster = new LocalRedisCluster(ports, mkdtempSync(join(tmpdir(), 'flowgate-redis-cluster-')));
    try {
      for (const port of ports) await cluster.launch(port);
      const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
      cluster.output.push(created.stdout ?? '', created.stderr ?? '');
      if (created.status !== 0) throw new Error(`redis-cli --cluster create exited with ${created.status}`);
      await cluster.waitForState('ok');
    } catch (error) {
      await cluster.stop();
      throw new Error(`the local Redis Cluster did not form: ${(error as Error).message}\n${cluster.output.join('\n')}`);
    }
    return cluster;
  }

  /** REDIS_CLUSTER_NODES for this cluster (every node: any of them would do as a seed). */
  get nodes(): string {
    return this.ports.map((port) => `127.0.0.1:${port}`).join(',');
  }

  /** The port of the primary serving `key`'s slot (or a channel's, for sharded pub/sub). */
  async ownerOf(key: string): Promise<number> {
    return this.onNode(this.ports[0]!, async (node) => {
      const slot = Number(await node.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await node.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]]][];
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return Number(range[2][1]);
    });
  }

  /** Runs `fn` on a plain connection to one node (closed afterwards). */
  async onNode<T>(port: number, fn: (node: Redis) => Promise<T>): Promise<T> {
    const node = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
    node.on('error', () => undefined);
    try {
      await node.connect();
      return await fn(node);
    } finally {
      node.disconnect();
    }
  }

  /** Kills every pub/sub connection of the node on `port` (default: of every node), as a dropped connection would end them. */
  async killSubscribers(port?: number): Promise<void> {
    for (const p of port === undefined ? this.ports : [port]) await this.onNode(p, (node) => node.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    this.children.clear();
    process.off('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(port: number): Promise<void> {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'no',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--cluster-node-timeout',
      '5000',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
    ];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(port, child);
    const collect = (chunk: Buffer) => this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited with ${child.exitCode}`);
      const answered = await this.onNode(port, (node) => node.ping()).then(
        () => true,
        () => false,
      );
      if (answered) return;
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits until every node reports `state` and knows every other node. */
  private async waitForState(state: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const states = await Promise.all(
        this.ports.map((port) =>
          this.onNode(port, async (node) => {
            const info = String(await node.call('CLUSTER', 'INFO'));
            return /^cluster_state:(\w+)/m.exec(info)?.[1] === state && Number(/^cluster_known_nodes:(\d+)/m.exec(info)?.[1]) === this.ports.length;
          }).catch(() => false),
        ),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:${state}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

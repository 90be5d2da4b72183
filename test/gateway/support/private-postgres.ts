import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../support/local-services.js';

const run = promisify(execFile);

/**
 * A PostgreSQL server of the test's own (Debian's binaries, a fresh cluster in a temporary
 * directory, trust authentication, on a free port) — for tests that restart the server: the
 * shared one on 5432 serves everybody's test runs and must never go down. `restart()` stops it
 * the way a crash or a failover does (`pg_ctl stop -m immediate`: every backend is killed,
 * nothing is shut down cleanly) and starts it again on the same port.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dataDir: string,
    private readonly bin: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const bin = postgresBin();
    const root = await mkdtemp(path.join(tmpdir(), 'flowgate-pg-'));
    // initdb refuses to run as root; the cluster belongs to the `postgres` user then.
    await chmod(root, 0o777);
    const server = new PrivatePostgres(await freePort(), path.join(root, 'data'), bin);
    await server.pg('initdb', ['-D', server.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await server.launch();
    return server;
  }

  get adminUrl(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** The server is killed (as by a crash) and, after `downMs`, started again on the same port; resolves once it accepts connections. */
  async restart(downMs = 0): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
  }

  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    await rm(path.dirname(this.dataDir), { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c max_connections=200`;
    await this.pg('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(path.dirname(this.dataDir), 'server.log'), '-w', '-t', '30', 'start']);
  }

  private async pg(program: string, args: string[]): Promise<void> {
    const executable = path.join(this.bin, program);
    const asRoot = process.getuid?.() === 0;
    await run(asRoot ? 'runuser' : executable, asRoot ? ['-u', 'postgres', '--', executable, ...args] : args, { timeout: 60_000 });
  }
}

/** Debian installs the server's programs under /usr/lib/postgresql/<major>/bin. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) throw new Error('no PostgreSQL server programs under /usr/lib/postgresql (Debian package postgresql)');
  return path.join(root, majors[0]!, 'bin');
}

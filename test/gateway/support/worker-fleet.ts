import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawnFlowgate } from './child-process.js';
import type { TestStack } from './stack.js';

/**
 * Real worker processes (`dist/src/worker/main.js`) of one stack's deployment, started and
 * killed on demand — for tests of what survives a crash. `kill` and `freeze` act synchronously
 * (kill(2) at once), so a test can stop workers at an exact moment. A worker counts from the
 * moment it is spawned: it may take jobs before it logs that it is ready.
 */
export class WorkerFleet {
  private readonly running = new Map<number, ChildProcess>();
  private readonly exits = new Map<number, Promise<unknown>>();
  private readonly ready = new Set<number>();
  /** Every worker started, in order, with what it printed and how it ended (for diagnostics). */
  readonly started: { pid: number; output: string[]; endedBy: string | null }[] = [];

  constructor(
    private readonly stack: TestStack,
    private readonly env: Record<string, string> = {},
  ) {}

  /** Pids of the workers alive (as far as this fleet knows). */
  get pids(): number[] {
    return [...this.running.keys()];
  }

  /**
   * Starts `count` workers at once; resolves when each is ready — or has been killed meanwhile
   * (a worker may take, and be killed over, a job before it is ready).
   */
  async start(count = 1, env: Record<string, string> = {}): Promise<number[]> {
    const pids: number[] = [];
    await Promise.all(
      Array.from({ length: count }, async () => {
        let pid = 0;
        try {
          const child = await spawnFlowgate('worker', this.stack, { ...this.env, ...env }, (process) => {
            pid = process.pid!;
            this.running.set(pid, process);
            this.exits.set(pid, new Promise((resolve) => process.once('exit', resolve)));
            this.started.push({ pid, output: [], endedBy: null });
          });
          this.started.find((s) => s.pid === pid)!.output = child.output;
          if (this.running.has(pid)) this.ready.add(pid);
        } catch (error) {
          if (this.running.has(pid)) throw error;
        }
        pids.push(pid);
      }),
    );
    return pids;
  }

  /** SIGKILLs these workers (default: all) now. Returns the pids killed. */
  kill(pids: number[] = this.pids): number[] {
    const killed: number[] = [];
    for (const pid of pids) {
      const child = this.running.get(pid);
      if (!child) continue;
      child.kill('SIGKILL');
      this.running.delete(pid);
      this.ready.delete(pid);
      this.endedBy(pid, 'SIGKILL');
      killed.push(pid);
    }
    return killed;
  }

  /**
   * SIGSTOPs every ready worker now: they keep their connections and locks, and do nothing.
   * Returns their pids. (One still starting is left alone: it has to get ready.)
   */
  freeze(): number[] {
    const frozen = this.pids.filter((pid) => this.ready.has(pid));
    for (const pid of frozen) this.running.get(pid)!.kill('SIGSTOP');
    return frozen;
  }

  /** SIGCONTs these workers. */
  thaw(pids: number[]): void {
    for (const pid of pids) this.running.get(pid)?.kill('SIGCONT');
  }

  /**
   * The worker process that has a TCP connection from local port `port` — the one sending a
   * request the emulator logged with that client port — or null. A step may run in a job or in
   * the worker that started it, so which process is at work is asked of the operating system
   * (Linux: the connection's socket in /proc/net/tcp, and which process holds that socket).
   */
  senderOf(port: number): number | null {
    const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    const inodes = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      const lines = existsSync(table) ? readFileSync(table, 'utf8').split('\n').slice(1) : [];
      for (const line of lines) {
        const fields = line.trim().split(/\s+/);
        // local_address is the second field (hex address:port), the inode the tenth.
        if (fields[1]?.endsWith(local) && fields[9] && fields[9] !== '0') inodes.add(`socket:[${fields[9]}]`);
      }
    }
    for (const pid of this.pids) {
      const fds = (() => {
        try {
          return readdirSync(`/proc/${pid}/fd`);
        } catch {
          return [];
        }
      })();
      for (const fd of fds) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
        } catch {
          // closed meanwhile
        }
      }
    }
    return null;
  }

  /** Waits until every worker killed so far has exited. */
  async reaped(): Promise<void> {
    await Promise.all([...this.exits.entries()].filter(([pid]) => !this.running.has(pid)).map(([, exited]) => exited));
  }

  /** Stops the workers still alive gracefully (SIGTERM, after a SIGCONT in case they are frozen). */
  async stop(): Promise<void> {
    const children = [...this.running.entries()];
    this.running.clear();
    this.ready.clear();
    await Promise.all(
      children.map(async ([pid, child]) => {
        this.endedBy(pid, 'SIGTERM');
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const ended = await Promise.race([this.exits.get(pid)!.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
        if (!ended) child.kill('SIGKILL');
      }),
    );
  }

  private endedBy(pid: number, how: string): void {
    const entry = this.started.find((s) => s.pid === pid);
    if (entry) entry.endedBy = how;
  }
}

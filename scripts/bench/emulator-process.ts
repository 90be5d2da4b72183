import { spawn } from 'node:child_process';
import path from 'node:path';
import { resolveEmulatorOptions } from '../../emulator/config.js';
import type { RunningEmulator } from '../../emulator/index.js';

/**
 * `node dist/emulator/main.js` on a free port, as `npm run emulator` runs it: the Platform in a
 * process of its own, so its work does not share the benchmark's event loop. Resolves once it
 * listens; `stop()` ends it with SIGTERM.
 */
export async function spawnEmulator(): Promise<RunningEmulator & { pid: number }> {
  // This file runs from dist/scripts/bench; the emulator entry point is dist/emulator/main.js.
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../emulator/main.js')], { env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      const listening = /listening on (http:\/\/\S+)/.exec(chunk.toString('utf8'))?.[1];
      if (listening) resolve(listening);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const running = {
    url,
    port: Number(new URL(url).port),
    options: resolveEmulatorOptions({}),
    context: undefined as never,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  } satisfies RunningEmulator;
  return { ...running, pid: child.pid! };
}

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/local-services.js';
import { FLOW, PlatformTestClient } from './support/emulator-client.js';
import { STRIPE_SPEC, VALID_STRIPE_KEY } from './support/stripe-setup.js';

/**
 * `npm run emulator` (issue 12, part 3): in memory unless EMULATOR_STATE names a file, then it
 * keeps its state there across restarts, with the secrets' key beside it.
 */
describe('npm run emulator and EMULATOR_STATE', () => {
  let dir: string;
  let port: number;
  let child: ChildProcess | null = null;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-standalone-'));
    port = await freePort();
  });
  after(async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // This file runs from dist/test/emulator; the entry point is dist/emulator/main.js.
  const entry = path.resolve(__dirname, '../../emulator/main.js');

  async function start(env: Record<string, string>): Promise<{ output: string }> {
    const running = spawn(process.execPath, [entry], { env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = running;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('  state ')) resolve();
      };
      running.stdout.on('data', onData);
      running.stderr.on('data', onData);
      running.once('exit', (code) => reject(new Error(`the emulator exited with ${code}:\n${output}`)));
    });
    return { output };
  }

  async function stop(): Promise<void> {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  }

  const client = () =>
    new PlatformTestClient(`http://127.0.0.1:${port}`, fetch, { clientId: 'flowgate-local', clientSecret: 'flowgate-local-secret', orgId: 'FLOWGATE0000000000000000@AdobeOrg', sandbox: 'prod' });
  const createConnection = async () =>
    (
      await client().post(`${FLOW}/connections`, {
        name: 'kept?',
        connectionSpec: { id: STRIPE_SPEC, version: '1.0' },
        auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: VALID_STRIPE_KEY } },
      })
    ).body.id as string;
  const connectionStatus = async (id: string) => (await client().get(`${FLOW}/connections/${id}`)).status;

  it('keeps nothing across a restart without EMULATOR_STATE, and says so', async () => {
    const { output } = await start({});
    assert.match(output, /state\s+in memory \(set EMULATOR_STATE=<file> to keep it\)/);
    const id = await createConnection();
    await stop();
    await start({});
    assert.equal(await connectionStatus(id), 404);
    await stop();
  });

  it('keeps its resources in the EMULATOR_STATE file across a restart, sealed with a key file beside it', async () => {
    const file = path.join(dir, 'state.json');
    const { output } = await start({ EMULATOR_STATE: file });
    assert.match(output, new RegExp(`kept in the file ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const id = await createConnection();
    await stop();
    assert.ok(existsSync(file));
    assert.equal(statSync(`${file}.key`).mode & 0o777, 0o600);
    await start({ EMULATOR_STATE: file });
    assert.equal(await connectionStatus(id), 200);
    await stop();
  });

  it('refuses a PostgreSQL URL in EMULATOR_STATE with exit status 2', async () => {
    const running = spawn(process.execPath, [entry], {
      env: { PATH: process.env.PATH ?? '', EMULATOR_PORT: String(port), EMULATOR_STATE: 'postgresql://postgres@127.0.0.1/x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    running.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => running.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(output, /EMULATOR_STATE must be a file path/);
  });
});

import { emulatorOptionsFromEnv, startEmulator } from './index.js';

/** `npm run emulator`: serves the emulator until interrupted. */
async function main(): Promise<void> {
  let options;
  try {
    options = emulatorOptionsFromEnv(process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  const emulator = await startEmulator(options);
  const o = emulator.options;
  console.log(`Flowgate AEP emulator listening on ${emulator.url}`);
  console.log(`  Platform base URL   ${emulator.url}  (e.g. ${emulator.url}/data/foundation/flowservice)`);
  console.log(`  IMS token endpoint  ${emulator.url}/ims/token/v3`);
  console.log(`  client id           ${o.clientId}`);
  console.log(`  client secret       ${o.clientSecret}   (local emulator credential)`);
  console.log(`  org id              ${o.orgIds.join(', ')}`);
  console.log(`  sandboxes           ${o.sandboxes.join(', ')}`);
  console.log(`  tenant id           ${o.tenantId}`);
  console.log(`  control API         ${emulator.url}/__emulator/`);
  const shutdown = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

void main();

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
  let emulator;
  try {
    emulator = await startEmulator(options);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
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
  console.log(`  state               ${emulator.context.persistence ? `kept in the ${emulator.context.persistence.description}` : 'in memory (set EMULATOR_STATE=<file> to keep it)'}`);
  const shutdown = async () => {
    await emulator.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

void main();

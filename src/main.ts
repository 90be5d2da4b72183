import 'reflect-metadata';
import { startTracing } from './observability/tracing-sdk.js';

// `npm start`: gateway and worker in one process (and the emulator, without AEP credentials).
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
void startTracing(process.env, 'flowgate').then(async (tracing) => {
  const { main } = await import('./app/run.js');
  await main({ gateway: true, worker: true }, { tracing });
});

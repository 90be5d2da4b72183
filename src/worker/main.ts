import 'reflect-metadata';
import { startTracing } from '../observability/tracing-sdk.js';

// `npm run start:worker`: operation and maintenance jobs only; run any number.
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
void startTracing(process.env, 'flowgate-worker').then(async (tracing) => {
  const { main } = await import('../app/run.js');
  await main({ gateway: false, worker: true }, { tracing });
});

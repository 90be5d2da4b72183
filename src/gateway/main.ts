import 'reflect-metadata';
import { startTracing } from '../observability/tracing-sdk.js';

// `npm run start:gateway`: GraphQL API only; run any number behind a load balancer.
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
void startTracing(process.env, 'flowgate-gateway').then(async (tracing) => {
  const { main } = await import('../app/run.js');
  await main({ gateway: true, worker: false }, { tracing });
});

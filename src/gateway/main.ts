import 'reflect-metadata';
import { startTracing } from '../observability/tracing-sdk.js';

// `npm run start:gateway`: GraphQL API only; run any number behind a load balancer.
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
const tracing = startTracing(process.env, 'flowgate-gateway');
void import('../app/run.js').then(({ main }) => main({ gateway: true, worker: false }, { tracing }));

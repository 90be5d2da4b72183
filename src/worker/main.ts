import 'reflect-metadata';
import { startTracing } from '../observability/tracing-sdk.js';

// `npm run start:worker`: operation and maintenance jobs only; run any number.
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
const tracing = startTracing(process.env, 'flowgate-worker');
void import('../app/run.js').then(({ main }) => main({ gateway: false, worker: true }, { tracing }));

import 'reflect-metadata';
import { startTracing } from './observability/tracing-sdk.js';

// `npm start`: gateway and worker in one process (and the emulator, without AEP credentials).
// Tracing starts before the rest is loaded, so PostgreSQL and HTTP clients are instrumented.
const tracing = startTracing(process.env, 'flowgate');
void import('./app/run.js').then(({ main }) => main({ gateway: true, worker: true }, { tracing }));

import 'reflect-metadata';
import { main } from '../app/run.js';

// `npm run start:gateway`: GraphQL API only; run any number behind a load balancer.
void main({ gateway: true, worker: false });

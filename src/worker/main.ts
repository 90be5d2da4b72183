import 'reflect-metadata';
import { main } from '../app/run.js';

// `npm run start:worker`: operation and maintenance jobs only; run any number.
void main({ gateway: false, worker: true });

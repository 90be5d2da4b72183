import 'reflect-metadata';
import { main } from './app/run.js';

// `npm start`: gateway and worker in one process (and the emulator, without AEP credentials).
void main({ gateway: true, worker: true });

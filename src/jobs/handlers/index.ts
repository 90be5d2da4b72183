import type { OperationType } from '../../domain/operation-types.js';
import type { OperationHandler } from '../operation-handler.js';
import { createConnection, deleteConnection, updateConnection } from './connection.handlers.js';

/** The handler of every operation type (the job registry). */
export const HANDLERS: Partial<Record<OperationType, OperationHandler>> = {
  CREATE_CONNECTION: createConnection,
  UPDATE_CONNECTION: updateConnection,
  DELETE_CONNECTION: deleteConnection,
};

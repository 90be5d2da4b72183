import type { OperationType } from '../../domain/operation-types.js';
import type { OperationHandler } from '../operation-handler.js';
import { createConnection, deleteConnection, updateConnection } from './connection.handlers.js';
import { createDataflow, deleteDataflow, disableDataflow, enableDataflow, updateDataflow } from './dataflow.handlers.js';
import { createMapping } from './mapping.handlers.js';
import { createTargetConnection } from './target-connection.handlers.js';
import { createDataset } from './dataset.handlers.js';
import { createSourceConnection } from './source-connection.handlers.js';
import { createXdmSchema } from './xdm-schema.handlers.js';

/** The handler of every operation type (the job registry). */
export const HANDLERS: Partial<Record<OperationType, OperationHandler>> = {
  CREATE_CONNECTION: createConnection,
  UPDATE_CONNECTION: updateConnection,
  DELETE_CONNECTION: deleteConnection,
  CREATE_TARGET_CONNECTION: createTargetConnection,
  CREATE_MAPPING: createMapping,
  CREATE_DATAFLOW: createDataflow,
  UPDATE_DATAFLOW: updateDataflow,
  ENABLE_DATAFLOW: enableDataflow,
  DISABLE_DATAFLOW: disableDataflow,
  DELETE_DATAFLOW: deleteDataflow,
  CREATE_SOURCE_CONNECTION: createSourceConnection,
  CREATE_XDM_SCHEMA: createXdmSchema,
  CREATE_DATASET: createDataset,
};

import type { OperationHandlers } from '../operation-handler.js';
import { createConnection, deleteConnection, updateConnection } from './connection.handlers.js';
import { createDataflow, deleteDataflow, disableDataflow, enableDataflow, updateDataflow } from './dataflow.handlers.js';
import { createDataset } from './dataset.handlers.js';
import { createMapping } from './mapping.handlers.js';
import { createSourceConnection } from './source-connection.handlers.js';
import { createTargetConnection } from './target-connection.handlers.js';
import { deleteDataset, deleteMapping, deleteSourceConnection, deleteTargetConnection, deleteXdmSchema } from './undo.handlers.js';
import { createXdmSchema } from './xdm-schema.handlers.js';

/** The handler of every operation type: each receives the input its contract (domain/operations.ts) parsed. */
export const HANDLERS: OperationHandlers = {
  CREATE_CONNECTION: createConnection,
  UPDATE_CONNECTION: updateConnection,
  DELETE_CONNECTION: deleteConnection,
  CREATE_SOURCE_CONNECTION: createSourceConnection,
  DELETE_SOURCE_CONNECTION: deleteSourceConnection,
  CREATE_XDM_SCHEMA: createXdmSchema,
  DELETE_XDM_SCHEMA: deleteXdmSchema,
  CREATE_DATASET: createDataset,
  DELETE_DATASET: deleteDataset,
  CREATE_TARGET_CONNECTION: createTargetConnection,
  DELETE_TARGET_CONNECTION: deleteTargetConnection,
  CREATE_MAPPING: createMapping,
  DELETE_MAPPING: deleteMapping,
  CREATE_DATAFLOW: createDataflow,
  UPDATE_DATAFLOW: updateDataflow,
  ENABLE_DATAFLOW: enableDataflow,
  DISABLE_DATAFLOW: disableDataflow,
  DELETE_DATAFLOW: deleteDataflow,
};

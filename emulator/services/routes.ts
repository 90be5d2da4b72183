import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../context.js';
import { registerCatalogRoutes } from './catalog/catalog.routes.js';
import { registerControlRoutes } from './control/control.routes.js';
import { registerDataPrepRoutes } from './data-prep/data-prep.routes.js';
import { registerConnectionRoutes } from './flow-service/connections.routes.js';
import { registerFlowRoutes } from './flow-service/flows.routes.js';
import { registerRunRoutes } from './flow-service/runs.routes.js';
import { registerSourceConnectionRoutes } from './flow-service/source-connections.routes.js';
import { registerSpecRoutes } from './flow-service/specs.routes.js';
import { registerTargetConnectionRoutes } from './flow-service/target-connections.routes.js';
import { registerImsRoutes } from './ims/ims.routes.js';
import { registerSchemaRegistryRoutes } from './schema-registry/schema-registry.routes.js';

/** Every route the emulator serves, by service. */
export function registerPlatformRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  registerImsRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  registerSpecRoutes(app, ctx);
  registerConnectionRoutes(app, ctx);
  registerSourceConnectionRoutes(app, ctx);
  registerTargetConnectionRoutes(app, ctx);
  registerFlowRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerSchemaRegistryRoutes(app, ctx);
  registerDataPrepRoutes(app, ctx);
  registerCatalogRoutes(app, ctx);
}

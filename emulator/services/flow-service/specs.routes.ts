import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../context.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { FLOW_SERVICE_BASE } from './resource-meta.js';
import { CONNECTION_SPECS, FLOW_SPECS } from './specs.data.js';

/** Connection and flow specs: read-only, the same in every org and sandbox. */
export function registerSpecRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const specs = [
    { path: 'connectionSpecs', what: 'Connection spec', items: CONNECTION_SPECS as readonly Record<string, any>[] },
    { path: 'flowSpecs', what: 'Flow spec', items: FLOW_SPECS as readonly Record<string, any>[] },
  ];
  for (const { path, what, items } of specs) {
    app.get(`${FLOW_SERVICE_BASE}/${path}`, async (request) => listFlowItems([...items], request.query as Record<string, unknown>, { selfPath: `/${path}` }));
    app.get(`${FLOW_SERVICE_BASE}/${path}/:id`, async (request) => {
      const { id } = request.params as { id: string };
      const spec = items.find((s) => s.id === id);
      if (!spec) throw familyErrors.notFound('flow', what, id, ctx.clock.nowMs());
      return { items: [spec] };
    });
  }
}

import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../context.js';
import { familyErrors } from '../../http/family-errors.js';
import { listFlowItems } from '../../http/flow-listing.js';
import { FLOW_SERVICE_BASE } from './resource-meta.js';

/** Flow runs: list (usually `property=flowId==…`) and get. Runs are produced by the run engine. */
export function registerRunRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const base = `${FLOW_SERVICE_BASE}/runs`;

  app.get(base, async (request) => {
    const items = [...request.platform!.partition.runs.values()].map((r) => r.wire);
    return listFlowItems(items, request.query as Record<string, unknown>, { selfPath: '/runs' });
  });

  app.get(`${base}/:id`, async (request) => {
    const { id } = request.params as { id: string };
    const run = request.platform!.partition.runs.get(id);
    if (!run) throw familyErrors.notFound('flow', 'Flow run', id, ctx.clock.nowMs());
    return { items: [run.wire] };
  });
}

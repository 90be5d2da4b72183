import type pg from 'pg';
import { isUuid } from '../domain/ids.js';

/** The tables an id can name (every Flowgate id is a UUID, unique across them). */
export const NODE_KINDS = ['resource', 'operation', 'onboarding', 'flowRun', 'auditEvent', 'apiKey'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** Finds which table holds an id, for `node(id:)` / `nodes(ids:)`; one indexed statement for all ids. */
export class NodeStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The kind of each id that exists (ids that are not UUIDs, or unknown, are absent). */
  async kinds(ids: readonly string[]): Promise<Map<string, NodeKind>> {
    const uuids = [...new Set(ids.filter(isUuid).map((id) => id.toLowerCase()))];
    if (uuids.length === 0) return new Map();
    const result = await this.pool.query<{ id: string; kind: NodeKind }>({
      name: 'fg_node_kinds',
      text: `SELECT id::text AS id, 'resource' AS kind FROM resources WHERE id = ANY($1::uuid[])
             UNION ALL SELECT id::text, 'operation' FROM operations WHERE id = ANY($1::uuid[])
             UNION ALL SELECT id::text, 'onboarding' FROM onboardings WHERE id = ANY($1::uuid[])
             UNION ALL SELECT id::text, 'flowRun' FROM flow_runs WHERE id = ANY($1::uuid[])
             UNION ALL SELECT id::text, 'auditEvent' FROM audit_events WHERE id = ANY($1::uuid[])
             UNION ALL SELECT id::text, 'apiKey' FROM api_keys WHERE id = ANY($1::uuid[])`,
      values: [uuids],
    });
    return new Map(result.rows.map((r) => [r.id, r.kind]));
  }
}

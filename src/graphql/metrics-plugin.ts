import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import type { FlowgateMetrics } from '../observability/metrics.js';

/**
 * Times every GraphQL request over HTTP into `flowgate_graphql_request_duration_seconds`, by
 * operation type and name and result code: OK, or the first error's `extensions.code` (a
 * refused document, whose operation is unknown, counts as type `unknown`). One hook per request
 * (the operation is on the request context by the time the answer leaves); the root field is
 * looked up only for an anonymous operation.
 */
export function graphqlMetricsPlugin(metrics: FlowgateMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const startedAt = performance.now();
      return {
        async willSendResponse({ response, errors, operation }) {
          const body = response.body.kind === 'single' ? response.body.singleResult : null;
          // The formatted errors carry the public code (formatError maps AppErrors); the raw ones may not yet.
          const first = body?.errors?.[0] ?? errors?.[0];
          const given = (first?.extensions as { code?: unknown } | undefined)?.code;
          const code = !first ? 'OK' : typeof given === 'string' ? given : 'INTERNAL_SERVER_ERROR';
          const name = operation?.name?.value ?? null;
          const root = name === null ? operation?.selectionSet.selections.find((s) => s.kind === Kind.FIELD) : undefined;
          metrics.graphqlRequest({
            operationType: operation?.operation ?? 'unknown',
            operationName: name,
            rootField: root && root.kind === Kind.FIELD ? root.name.value : null,
            code,
            seconds: (performance.now() - startedAt) / 1000,
          });
        },
      };
    },
  };
}

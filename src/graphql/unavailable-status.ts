import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { ServiceUnavailableError } from '../errors/app-errors.js';

/**
 * Apollo plugin: a response any of whose errors is UNAVAILABLE (formatError's code for an
 * unreachable database) is sent with HTTP 503 and `Retry-After`, not 200 — so load balancers,
 * proxies and clients that only look at the status know to try again, and monitoring counts it
 * as an outage rather than as a served request. WebSocket answers carry the same code without a
 * status.
 */
export function unavailableStatusPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          const errors: readonly GraphQLFormattedError[] | undefined = response.body.kind === 'single' ? response.body.singleResult.errors : response.body.initialResult.errors;
          if (!errors?.some((error) => error.extensions?.['code'] === 'UNAVAILABLE')) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(ServiceUnavailableError.RETRY_AFTER_SECONDS));
        },
      };
    },
  };
}

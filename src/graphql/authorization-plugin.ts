import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { authorizeOperation, forbiddenGraphQLError } from '../auth/policy.js';
import type { GatewayContext } from './context.js';

/**
 * Deny by default: every root field an operation selects must allow the caller's role (see
 * auth/policy.ts), checked once the operation is resolved and before anything executes. The
 * WebSocket server applies the same check in its `onSubscribe`.
 */
export function authorizationPlugin(schema: GraphQLSchema): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<GatewayContext>> {
      return {
        async didResolveOperation({ document, operationName, request, contextValue }) {
          const refused = authorizeOperation(schema, document, operationName, request.variables, contextValue.caller);
          if (refused) throw forbiddenGraphQLError(refused);
        },
      };
    },
  };
}

import type { ApolloServerPlugin } from '@apollo/server';
import { Kind } from 'graphql';
import { nameActiveSpan } from '../observability/tracing.js';

/** Names the request's span after its GraphQL operation (`graphql mutation createDataflow`), with the operation's type and name as attributes. */
export function graphqlTracingPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return;
          const root = operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD);
          const name = operation.name?.value ?? (root && root.kind === Kind.FIELD ? root.name.value : 'anonymous');
          nameActiveSpan(`graphql ${operation.operation} ${name}`, { 'graphql.operation.type': operation.operation, 'graphql.operation.name': name });
        },
      };
    },
  };
}

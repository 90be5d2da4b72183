import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { RESOLVERS } from '../resolvers/index.js';
import { DateTime } from '../schema/scalars.js';

let cached: Promise<GraphQLSchema> | null = null;

/** type-graphql makes the root types without descriptions; these are the API's front page. */
const ROOT_DESCRIPTIONS = {
  query: 'Reads: Flowgate’s records in PostgreSQL (only `explore` asks the Platform). Every read is scoped to the request’s sandbox.',
  mutation: 'Changes: each records an Operation (or an Onboarding) and answers at once; a worker carries it out on the Platform.',
  subscription: 'Live updates over graphql-ws: the current state first, then every change.',
};

/**
 * The executable GraphQL schema. Built once per process (type-graphql's metadata is global);
 * subscriptions use each resolver's own `subscribe`, so no PubSub is registered here.
 *
 * Every `@ObjectType` in src/schema says `simpleResolvers: true`: its plain fields are read by
 * GraphQL's default resolver instead of a type-graphql wrapper per field that runs a middleware
 * chain we do not have (no global middlewares, no auth checker: roles are enforced in the
 * resolvers). A page of 50 dataflows resolves ≈ 650 fields; the wrappers cost the gateway ≈ 5 %
 * of its CPU per `dataflows(first: 50)` (1.54–1.58 against 1.64–1.65 ms, ABBA, quiet machine).
 * A new object type should say it too, unless one of its fields needs a middleware.
 */
export function buildGatewaySchema(): Promise<GraphQLSchema> {
  cached ??= buildSchema({
    resolvers: RESOLVERS,
    // Inputs are checked by our own rules (errors name the field); class-validator is not used.
    validate: false,
    scalarsMap: [{ type: Date, scalar: DateTime }],
    // type-graphql insists on a PubSub once there are subscriptions, even when each one brings
    // its own `subscribe` (ours read the current state first, then the Redis event bus).
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('every Flowgate subscription defines its own subscribe function');
      },
    },
  }).then((schema) => {
    schema.getQueryType()!.description = ROOT_DESCRIPTIONS.query;
    schema.getMutationType()!.description = ROOT_DESCRIPTIONS.mutation;
    schema.getSubscriptionType()!.description = ROOT_DESCRIPTIONS.subscription;
    return schema;
  });
  return cached;
}

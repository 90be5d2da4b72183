import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's object identification: every object with a Flowgate id. Ids are UUIDs, unique across
 * resources, operations, onboardings, flow runs, audit events and API keys, so `node(id:)` finds
 * any of them by its id alone (and existing ids keep working).
 */
@InterfaceType('Node', { description: 'An object with a globally unique id (a UUID), refetchable with `node(id:)`.' })
export abstract class Node {
  @Field(() => ID, { description: 'Globally unique id (a UUID), stable for the object’s life.' }) id!: string;
}

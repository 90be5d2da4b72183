import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'Where a page sits in its list (Relay cursor connections).' })
export class PageInfo {
  @Field(() => Boolean, { description: 'More items follow the last one of this page (ask with `first` and `after: endCursor`).' }) hasNextPage!: boolean;
  @Field(() => Boolean, { description: 'More items precede the first one of this page (ask with `last` and `before: startCursor`).' }) hasPreviousPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Cursor of the first item; pass as `before` for the page before. Null when the page is empty.' }) startCursor!: string | null;
  @Field(() => String, { nullable: true, description: 'Cursor of the last item; pass as `after` for the page after. Null when the page is empty.' }) endCursor!: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface PageShape<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number;
}

export interface PageOptions {
  /** The description of `totalCount`, when it says more than the default. */
  totalCount?: string;
  /** The page class is extended by a subclass that declares the `<Name>Page` type with more fields. */
  extended?: boolean;
}

/**
 * Builds the `<Name>Page` and `<Name>Edge` types of a list (`edges { cursor node }`, `pageInfo`,
 * `totalCount`). type-graphql needs a concrete class per node type, hence the factory.
 */
export function PageOf<T extends object>(node: ClassType<T>, name: string, options: PageOptions = {}) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `One ${name} of a page, with its cursor.` })
  class EdgeType {
    @Field(() => String, { description: 'Where this item sits in the list; pass as `after` or `before`.' }) cursor!: string;
    @Field(() => node, { description: `The ${name}.` }) node!: T;
  }

  // An extended page's subclass declares the `<Name>Page` type (with more fields); this base
  // type is then referenced by nothing, so the schema does not show it.
  @ObjectType(options.extended ? `${name}PageFields` : `${name}Page`, { simpleResolvers: true, description: `A page of ${name} items (a Relay connection).` })
  class PageType {
    @Field(() => [EdgeType], { description: 'The items of this page, in list order.' }) edges!: EdgeType[];
    @Field(() => PageInfo, { description: 'Cursors and whether more items lie on either side.' }) pageInfo!: PageInfo;
    @Field(() => Int, { description: options.totalCount ?? 'All items matching the filter, across pages.' }) totalCount!: number;
  }
  return PageType;
}

/** Builds a page from store rows (in list order). */
export function toPage<R, T>(page: { rows: R[]; hasNextPage: boolean; hasPreviousPage: boolean; totalCount: number }, map: (row: R) => T, cursor: (row: R) => string): PageShape<T> {
  const edges = page.rows.map((row) => ({ cursor: cursor(row), node: map(row) }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
    totalCount: page.totalCount,
  };
}

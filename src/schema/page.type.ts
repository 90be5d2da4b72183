import { Field, Int, ObjectType, type ClassType } from 'type-graphql';

@ObjectType({ description: 'Cursor pagination state.' })
export class PageInfo {
  @Field(() => Boolean) hasNextPage!: boolean;
  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' }) endCursor!: string | null;
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

/**
 * Builds the `<Name>Page` and `<Name>Edge` types of a list (`edges { cursor node }`, `pageInfo`,
 * `totalCount`). type-graphql needs a concrete class per node type, hence the factory.
 */
export function PageOf<T extends object>(node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field(() => String) cursor!: string;
    @Field(() => node) node!: T;
  }

  @ObjectType(`${name}Page`)
  class PageType {
    @Field(() => [EdgeType]) edges!: EdgeType[];
    @Field(() => PageInfo) pageInfo!: PageInfo;
    @Field(() => Int, { description: 'All items matching the filter, across pages.' }) totalCount!: number;
  }
  return PageType;
}

/** Builds a page from store rows. */
export function toPage<R, T>(page: { rows: R[]; hasNextPage: boolean; totalCount: number }, map: (row: R) => T, cursor: (row: R) => string): PageShape<T> {
  const edges = page.rows.map((row) => ({ cursor: cursor(row), node: map(row) }));
  return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null }, totalCount: page.totalCount };
}

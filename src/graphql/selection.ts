import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { pageWindow, type PageArguments, type PageWindow } from '../store/cursor.js';

/**
 * Whether the field being resolved selects `name` directly (through fragments too), so a
 * resolver can skip work nobody asked for — the audit trail's `totalCount` is a count.
 */
export function selectsField(info: GraphQLResolveInfo, name: string): boolean {
  const seen = new Set<string>();
  const search = (set: SelectionSetNode | undefined): boolean =>
    (set?.selections ?? []).some((selection) => {
      switch (selection.kind) {
        case Kind.FIELD:
          return selection.name.value === name;
        case Kind.INLINE_FRAGMENT:
          return search(selection.selectionSet);
        case Kind.FRAGMENT_SPREAD: {
          const fragment = info.fragments[selection.name.value];
          if (!fragment || seen.has(fragment.name.value)) return false;
          seen.add(fragment.name.value);
          return search(fragment.selectionSet);
        }
        default:
          return false;
      }
    });
  return info.fieldNodes.some((node) => search(node.selectionSet));
}

/**
 * The window a list field's Relay arguments ask for, counting every match only when the query
 * selects the page's `totalCount`: a first page then costs the same on any size of table.
 */
export function listWindow(args: PageArguments, info: GraphQLResolveInfo): PageWindow {
  return pageWindow(args, { count: selectsField(info, 'totalCount') });
}

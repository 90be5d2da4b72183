import { Kind, parse, visit, type ASTNode } from 'graphql';

/**
 * The path of the argument value that starts at `offset` in a GraphQL document, as an error's
 * `field` names it: the argument, then the input fields down to the value
 * (`filter.action`, `input.schedule.frequency`). Null when no argument value starts there, or
 * the document does not parse.
 */
export function inputPathAt(document: string, offset: number): string | null {
  let ast: ASTNode;
  try {
    ast = parse(document, { noLocation: false });
  } catch {
    return null;
  }
  const path: string[] = [];
  let found: string | null = null;
  visit(ast, {
    enter(node) {
      if (found !== null) return false;
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) path.push(node.name.value);
      else if (path.length > 0 && node.loc?.start === offset && node.kind !== Kind.NAME) found = path.join('.');
      return undefined;
    },
    leave(node) {
      if (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD) path.pop();
    },
  });
  return found;
}

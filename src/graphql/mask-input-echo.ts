import { GraphQLError } from 'graphql';
import { redactSecrets } from '../platform/secret-redaction.js';

/**
 * graphql-js quotes the offending value in its coercion and validation messages
 * (`Variable "$input" got invalid value { name: "x", accessToken: "sk_live_…", bogus: 1 }; …`).
 * A wrong type or an unknown field next to an access token would echo the token back to the
 * client (and into anything that logs responses). These helpers keep what is useful — the
 * variable, the path, the expected type, the reason — and drop every echoed value.
 */

const VARIABLE_PREFIX = /^(Variable "\$[_A-Za-z][_0-9A-Za-z]*") got invalid value /;
/** The path graphql prints before `; reason`: a variable name then `.field` and `[index]` steps. */
const TRAILING_PATH = / at "(\$?[_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*|\[\d+\])*)"$/;

/** A reason graphql-js gives that quotes a value, with the value cut out; null for other messages. */
function maskEchoingReason(reason: string): string | null {
  const cannot = /^([_A-Za-z][_0-9A-Za-z]*) cannot represent /.exec(reason);
  if (cannot) return `${cannot[1]} cannot represent this value.`;
  const enumValue = /^Value "[^"]*" does not exist in ("[_A-Za-z][_0-9A-Za-z]*") enum\./.exec(reason);
  if (enumValue) return `Value does not exist in ${enumValue[1]} enum.`;
  const expected = /^Expected value of type ("[^"]+"), found [\s\S]*?(?:; ([\s\S]*))?$/.exec(reason);
  if (expected) return `Expected value of type ${expected[1]}${expected[2] ? `; ${maskReason(expected[2])}` : '.'}`;
  return null;
}

const SAFE_REASONS = [
  /^Expected type "[^"]+" to be an object\.$/,
  /^Field "[_A-Za-z][_0-9A-Za-z]*" is not defined by type "[^"]+"\.( Did you mean [^]*\?)?$/,
  /^Field "[_A-Za-z][_0-9A-Za-z]*" of required type "[^"]+" was not provided\.$/,
  /^Expected non-nullable type "[^"]+" not to be null\.$/,
];

/** The reason of a variable's coercion failure: masked, kept when known to quote no value, else generic. */
function maskReason(reason: string): string {
  return maskEchoingReason(reason) ?? (SAFE_REASONS.some((pattern) => pattern.test(reason)) ? reason : 'The value does not fit the expected type.');
}

/**
 * `message` without the input values graphql-js quoted in it. `error` is what the message came
 * from (its `originalError` carries the reason without the value prefix, when graphql set it).
 * Messages that quote no value pass through unchanged; a last pass removes anything that looks
 * like a secret (Stripe keys, bearer tokens, JWTs), since an unknown field's name is user input.
 */
export function maskInputEcho(message: string, error?: unknown): string {
  let out = message;
  const variable = VARIABLE_PREFIX.exec(message);
  if (variable) {
    const inner = innerMessage(error);
    let head = message.slice(variable[0].length);
    let reason: string | null = null;
    if (inner !== null && head.endsWith(`; ${inner}`)) {
      head = head.slice(0, head.length - inner.length - 2);
      reason = inner;
    }
    const path = reason === null ? null : TRAILING_PATH.exec(head);
    out = `${variable[1]} got an invalid value${path ? ` at "${path[1]}"` : ''}${reason === null ? '.' : `; ${maskReason(reason)}`}`;
  } else {
    out = maskEchoingReason(message) ?? message;
  }
  return redactSecrets(out, [], 1000);
}

function innerMessage(error: unknown): string | null {
  let current: unknown = error;
  // Apollo may wrap graphql's error once more; the reason is the innermost message.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const original: unknown = (current as GraphQLError).originalError;
    if (!(original instanceof Error)) break;
    current = original;
  }
  return current instanceof Error && current !== error ? current.message : null;
}

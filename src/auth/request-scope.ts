import { ForbiddenError, UnknownSandboxError, ValidationError } from '../errors/app-errors.js';
import { SANDBOX_NAME, type Caller } from './caller.js';

/**
 * The sandbox a request acts in: the one asked for (`x-sandbox-name`, or `sandbox` in the
 * WebSocket's `connection_init`), else the deployment's default (or, for a caller bound to
 * other sandboxes only, the first of those). A caller bound to sandboxes
 * may only ask for those (FORBIDDEN naming the sandbox); resources of other sandboxes are then
 * simply not found, because every read and write filters by this sandbox. A sandbox the deployment
 * does not know (`known`, when given) is BAD_REQUEST naming it.
 */
export function chooseSandbox(caller: Caller, requested: unknown, defaultSandbox: string, known: readonly string[] | null = null): string {
  const raw: unknown = Array.isArray(requested) ? (requested as unknown[])[0] : requested;
  let sandbox = caller.sandboxes.length === 0 || caller.sandboxes.includes(defaultSandbox) ? defaultSandbox : (caller.sandboxes[0] ?? defaultSandbox);
  if (raw !== undefined && raw !== null && raw !== '') {
    if (typeof raw !== 'string' || !SANDBOX_NAME.test(raw)) throw new ValidationError('x-sandbox-name', 'must be a sandbox name (lower-case letters, digits, hyphens)');
    sandbox = raw;
    // The answer lists only the sandboxes this caller may use: a bound key learns nothing about the others.
    if (known !== null && !known.includes(sandbox)) throw new UnknownSandboxError(sandbox, caller.sandboxes.length === 0 ? known : known.filter((s) => caller.sandboxes.includes(s)));
  }
  if (caller.sandboxes.length > 0 && !caller.sandboxes.includes(sandbox)) {
    throw new ForbiddenError(`${caller.id} may not act in sandbox ${sandbox} (allowed: ${caller.sandboxes.join(', ')})`, [], sandbox);
  }
  return sandbox;
}

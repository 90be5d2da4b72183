import type { PublicErrorCode } from '../domain/operation-error.js';

/**
 * Flowgate's typed errors. Each has a literal `code` (one of the public codes) that clients see
 * as `extensions.code` and operations record; expected failures carry the details a UI renders
 * (field, current etag, the Platform's own code). `errors/public-errors.ts` maps any error —
 * these, the Platform client's, unexpected ones — to what clients see.
 */
export type AppErrorCode = PublicErrorCode;

export abstract class AppError extends Error {
  abstract readonly code: AppErrorCode;
  /** Whether doing the same thing again may succeed (decided where thrown). */
  readonly retryable: boolean = false;
  readonly #details: Record<string, unknown>;

  /** `details`: what a UI renders besides the message (the field, the current etag…); never secrets. */
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.#details = details;
  }

  /** Structured details for clients; never secrets. */
  details(): Record<string, unknown> {
    return this.#details;
  }
}

/** Input breaks a rule. Thrown by resolvers before anything is written; final. */
export class ValidationError extends AppError {
  readonly code = 'BAD_USER_INPUT' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`, { field });
  }
}

/**
 * A Platform 412 the worker investigated: the resource changed on the Platform since Flowgate
 * last saw it. The operation fails with CONFLICT, and its failure records the fresh etag and
 * snapshot (and a CONFLICT_DETECTED audit event). Final.
 */
export class PlatformChangedError extends AppError {
  readonly code = 'CONFLICT' as const;
  constructor(
    message: string,
    readonly currentEtag: string | null,
    /** The resource as the Platform has it now (secrets redacted). */
    readonly snapshot: unknown,
  ) {
    super(message, { currentEtag, field: 'expectedEtag', platformStatus: 412, platformCode: '1404-412' });
  }
}

/**
 * An operation's stored input does not match its type's contract (domain/operations.ts): a bug
 * or a hand-edited row, never user input. Final: running it again reads the same input.
 */
export class MalformedOperationError extends AppError {
  readonly code = 'MALFORMED_OPERATION' as const;
  constructor(operationType: string, problem: string) {
    super(`the ${operationType} operation's input does not match its contract (${problem})`);
  }
}

/** An id that does not exist (or is outside the caller's scope); final. */
export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND' as const;
  constructor(
    readonly resourceType: string,
    readonly id: string,
    readonly field?: string,
  ) {
    super(`${resourceType} ${id} was not found`, { resourceType, id, ...(field ? { field } : {}) });
  }
}

/** The caller's expected etag is not the current one, or the Platform answered 412; final. */
export class EtagConflictError extends AppError {
  readonly code = 'CONFLICT' as const;
  constructor(
    message: string,
    readonly currentEtag: string | null,
  ) {
    super(message, { currentEtag });
  }
}

/** The same idempotency key was sent with a different input; final. */
export class IdempotencyKeyReusedError extends AppError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  constructor(readonly operationId: string) {
    super('This idempotencyKey was already used with a different input', { field: 'idempotencyKey', operationId });
  }
}

/** The request is valid but the resource is not in a state that allows it (e.g. still in use); final. */
export class PreconditionError extends AppError {
  readonly code = 'PRECONDITION_FAILED' as const;
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message, field ? { field } : {});
  }
}

/** A resource this operation needs failed or was deleted; final. */
export class DependencyFailedError extends AppError {
  readonly code = 'DEPENDENCY_FAILED' as const;
  constructor(
    message: string,
    readonly dependencyId: string,
  ) {
    super(message, { dependencyId });
  }
}

/** A resource this operation needs is still being created: wait and try again (retryable). */
export class DependencyNotReadyError extends AppError {
  readonly code = 'PLATFORM_UNAVAILABLE' as const;
  override readonly retryable = true;
  constructor(readonly dependencyId: string) {
    super(`waiting for ${dependencyId} to be created on the Platform`);
  }
}

/** No credential, or one that is unknown, revoked, expired or forged; final. Never says which. */
export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED' as const;
  constructor(message = 'Authentication required: send an API key or a JWT as `Authorization: Bearer <credential>`') {
    super(message);
  }
}

/**
 * A request names a sandbox (`x-sandbox-name`, or `sandbox` in a WebSocket's `connection_init`)
 * that this deployment does not know (a typo such as `prdo`). Refused before anything is read or
 * written; final.
 */
export class UnknownSandboxError extends AppError {
  readonly code = 'BAD_REQUEST' as const;
  constructor(
    readonly sandbox: string,
    readonly known: readonly string[],
  ) {
    super(`Unknown sandbox "${sandbox}" (x-sandbox-name); this deployment acts in: ${known.join(', ')}`);
  }
  // Typed: callers read the known sandboxes by name.
  override details() {
    return { field: 'x-sandbox-name', sandbox: this.sandbox, knownSandboxes: [...this.known] };
  }
}

/**
 * The caller is known but its role may not do this, or it asked for a sandbox it is not bound
 * to; final. Names what is missing (the roles allowed, or the sandbox).
 */
export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN' as const;
  constructor(
    message: string,
    readonly requiredRoles: readonly string[] = [],
    readonly sandbox?: string,
  ) {
    super(message, { ...(requiredRoles.length > 0 ? { requiredRoles: [...requiredRoles] } : {}), ...(sandbox ? { sandbox } : {}) });
  }
}

/**
 * A stored secret cannot be opened by this process: it is sealed with a key id the process does
 * not have, or the key material configured for that id is wrong. A configuration problem, so
 * final: retrying on the same worker cannot succeed. The message names key ids, never key bytes.
 */
export class SecretKeyUnavailableError extends AppError {
  readonly code = 'PRECONDITION_FAILED' as const;
  constructor(
    readonly keyId: string,
    reason: 'unknown-key' | 'wrong-key',
  ) {
    super(
      reason === 'unknown-key'
        ? `the stored secret is sealed with key "${keyId}", which this process does not have: add it to FLOWGATE_PREVIOUS_SECRET_KEYS (or run npm run secrets:rotate where it is configured)`
        : `the stored secret does not decrypt with key "${keyId}": the key material configured for that id is wrong, or the secret was altered`,
      { keyId },
    );
  }
}

/** Thrown when the Platform offers no way to remove a resource; the resource stays, unused. Final. */
export class CannotRemoveError extends AppError {
  readonly code = 'PRECONDITION_FAILED' as const;
  constructor(
    message: string,
    readonly reason: 'NO_DELETE_API',
  ) {
    super(message, { reason });
  }
}

/**
 * Flowgate cannot serve the request right now because a dependency it needs is unreachable —
 * the database (connection refused, backends terminated, no pooled connection in time) or the
 * identity provider's keys. Retryable: the same request may succeed shortly (a mutation whose
 * single statement committed just before its answer was lost is recorded once if it is retried
 * with the same idempotency key). Over HTTP it is answered 503 with `Retry-After:
 * RETRY_AFTER_SECONDS`. Thrown by the auth middleware; formatError turns database-connectivity
 * errors into it.
 */
export class ServiceUnavailableError extends AppError {
  readonly code = 'UNAVAILABLE' as const;
  override readonly retryable = true;
  /** Seconds a client is told to wait (`Retry-After`) before trying again. */
  static readonly RETRY_AFTER_SECONDS = 2;
  constructor(message = 'The service is temporarily unavailable; try again shortly') {
    super(message, { retryable: true });
  }
}

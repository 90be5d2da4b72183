import { UnrecoverableError, type Job } from 'bullmq';
import { isOperationType, operationInputProblem, parseOperationInput, type OperationType } from '../domain/operations.js';
import { MalformedOperationError, PlatformChangedError } from '../errors/app-errors.js';
import { publicErrorOf } from '../errors/public-errors.js';
import { nameActiveSpan } from '../observability/tracing.js';
import { REDACTED } from '../platform/secret-redaction.js';
import { message, type TopicMessage } from '../pubsub/event-bus.js';
import { operationEvent, resourceChangeEvent, topics } from '../pubsub/events.js';
import type { OperationErrorInfo } from '../domain/operation-error.js';
import type { OperationOutcome, StartedOperation } from '../store/operation-ledger.js';
import type { Operation, Resource } from '../store/rows.js';
import type { HandlerContext, OperationHandler, OperationHandlers, WorkerDeps } from './operation-handler.js';
import { operationJob, type OperationJobData } from './queues.js';
import { startRecorded } from './recorded-start.js';
import { operationFailedEvent } from './webhooks/event-payloads.js';

/**
 * An error whose message and stack no longer contain `secret` (a Platform or library error may
 * echo a request value). Same class and fields, so retry decisions do not change.
 */
function scrubSecret(error: unknown, secret: string): unknown {
  if (!(error instanceof Error) || secret.length === 0) return error;
  const scrub = (text: string | undefined) => text?.split(secret).join(REDACTED);
  if (error.message.includes(secret)) error.message = scrub(error.message)!;
  if (error.stack?.includes(secret)) error.stack = scrub(error.stack);
  return error;
}

/** Minimum time between two progress reports of one operation. */
export const PROGRESS_INTERVAL_MS = 200;

/** What an unexpected error is recorded as (the detail goes to the log). */
const UNEXPECTED: OperationErrorInfo = { code: 'INTERNAL_SERVER_ERROR', message: 'An internal error occurred; the operation will be retried.', retryable: true };

export interface OperationProcessorOptions {
  /**
   * How often a RUNNING operation's `updated_at` is renewed while its handler works. The
   * reconciler re-enqueues a RUNNING operation without a job only once this heartbeat is older
   * than the worker lock time, so it must be well below it: a third of it. Default 10 s.
   */
  heartbeatMs?: number;
}

/** Which attempt of an operation runs, and whether a retryable failure is retried after it. */
export interface Attempt {
  number: number;
  last: boolean;
}

/**
 * Runs one operation job: marks it RUNNING, checks its input against its type's contract, calls
 * the handler for its type, then finishes it — successful or not — through the ledger's one
 * `finish` (resource, operation and audit event in one statement) and publishes the news.
 * Retryable failures go back to BullMQ (RETRYING); final ones — or the last attempt — fail the
 * operation (FAILED) and stop the job. While the handler runs, the operation's row is
 * heartbeated: the proof, kept in PostgreSQL, that it is not abandoned even if Redis forgot its job.
 */
export class OperationProcessor {
  private readonly heartbeatMs: number;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly handlers: OperationHandlers,
    options: OperationProcessorOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
  }

  async process(job: Job<OperationJobData>): Promise<void> {
    const { operationId } = operationJob.parse(job.data, job.id);
    const claimed = await this.deps.store.ledger.start(operationId, 'running');
    if (!claimed) return; // finished (or cancelled) by an earlier delivery of this job
    await this.runStarted(claimed, { number: job.attemptsMade + 1, last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
  }

  /**
   * Runs an operation already moved to RUNNING — by `process`, or by the onboarding pass that
   * started it in this process (its first attempt, without a job) — heartbeating it meanwhile.
   * Throws as a job does: the retryable error after recording RETRYING, UnrecoverableError after
   * recording FAILED. `recorded`: given when the pass that recorded it is still committing; its
   * calls are sent, and anything about it recorded or announced, only once that resolved true
   * (when false, it throws without recording anything: the operation was never started).
   */
  async runStarted(claimed: StartedOperation, attempt: Attempt, recorded?: Promise<boolean>): Promise<void> {
    const { store, logger } = this.deps;
    const operationId = claimed.operation.id;
    const heartbeat = setInterval(() => {
      store.ledger.heartbeat(operationId).catch((error: unknown) => logger.warn({ operationId, err: (error as Error).message }, 'could not renew the heartbeat of a running operation'));
    }, this.heartbeatMs);
    try {
      await this.run(attempt, operationId, claimed, recorded);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs the handler of a claimed (RUNNING) operation and records its outcome. */
  private async run(attempt: Attempt, operationId: string, claimed: StartedOperation, recorded?: Promise<boolean>): Promise<void> {
    const { store, logger } = this.deps;
    const { operation: started, resource, secret, dependencies } = claimed;
    let lastProgressAt = Date.now();
    /** The plaintext secret once the handler asked for it: scrubbed from whatever an error carries onwards. */
    let opened: string | null = null;
    // Not awaited: the Platform call need not wait for Redis to confirm the news. Later publishes
    // of this operation are issued after it on the same connection, so subscribers see them in order.
    const running = message(topics.operation(started.id), operationEvent(started));
    if (!recorded) this.deps.bus.announce(running);
    else
      void recorded.then((ok) => {
        if (ok) this.deps.bus.announce(running);
      });

    nameActiveSpan(`operation ${started.type}`, { 'flowgate.operation.id': started.id, 'flowgate.operation.type': started.type, 'flowgate.operation.attempt': started.attempts });
    const type = isOperationType(started.type) ? started.type : null;
    const problem = type === null ? `unknown operation type ${JSON.stringify(started.type)}` : !resource ? 'its resource does not exist' : operationInputProblem(type, started.input);
    if (type === null || !resource || problem !== null) {
      const error = new MalformedOperationError(started.type, problem ?? 'unknown');
      logger.error({ operationId, type: started.type, problem }, 'operation cannot run: it does not match its contract');
      if (recorded) await startRecorded(recorded);
      await this.finish(started, resource, { status: 'FAILED', error: publicErrorOf(error)!, conflict: null });
      throw new UnrecoverableError(error.message);
    }
    try {
      const context: HandlerContext = {
        operation: started,
        resource,
        input: parseOperationInput(type, started.input),
        deps: this.deps,
        // An earlier attempt — of this operation, or of the onboarding step it belongs to — may have written.
        isRetry: started.attempts > 1 || (started.input as { adoptExisting?: boolean }).adoptExisting === true,
        fence: store.createFence,
        dependencies: new Map(dependencies.map((d) => [d.id, d])),
        secret: async () => {
          if (!secret) throw new Error(`operation ${operationId} carries no secret`);
          opened = store.secrets.openSealed(secret);
          return opened;
        },
        ...(recorded ? { beforeSend: () => startRecorded(recorded) } : {}),
        progress: async (fraction, text) => {
          // Reported at most every PROGRESS_INTERVAL_MS: a step that follows the previous one within
          // milliseconds tells a UI nothing, and each report is a write and a publish.
          const now = Date.now();
          if (now - lastProgressAt < PROGRESS_INTERVAL_MS) return;
          lastProgressAt = now;
          const updated = await store.ledger.progress(operationId, Math.max(0, Math.min(0.99, fraction)), text);
          if (updated) this.deps.bus.announce(message(topics.operation(updated.id), operationEvent(updated)));
        },
      };
      // The registry pairs each type with its handler; the input was parsed with that type's contract.
      const handler = this.handlers[type] as OperationHandler<OperationType>;
      const outcome = await handler(context as HandlerContext<never>);
      await this.finish(started, resource, { status: 'SUCCEEDED', changes: outcome.resource, action: outcome.action, message: outcome.message });
      if (outcome.observeLater) this.observe(resource.id, outcome.observeLater);
    } catch (caught) {
      // Never started (its pass did not commit): there is nothing to record it on.
      if (recorded && !(await recorded)) throw caught;
      const error = opened === null ? caught : scrubSecret(caught, opened);
      const info = publicErrorOf(error) ?? UNEXPECTED;
      if (info.retryable && !attempt.last) {
        logger.warn({ operationId, type: started.type, attempt: attempt.number, err: info.message }, 'operation attempt failed; retrying');
        const retrying = await store.ledger.retrying(operationId, info);
        // Finished by another run of it meanwhile: that outcome stands, there is nothing to retry.
        if (!retrying) return this.alreadyFinished(started);
        this.deps.bus.announce(message(topics.operation(retrying.id), operationEvent(retrying)));
        throw error;
      }
      if (info.code === 'INTERNAL_SERVER_ERROR') logger.error({ operationId, type: started.type, err: error }, 'operation failed with an unexpected error');
      else logger.info({ operationId, type: started.type, code: info.code, platformCode: info.platformCode }, 'operation failed');
      const conflict = error instanceof PlatformChangedError ? { etag: error.currentEtag, snapshot: error.snapshot } : null;
      await this.finish(started, resource, { status: 'FAILED', error: { ...info, retryable: false }, conflict });
      throw new UnrecoverableError(info.message);
    }
  }

  /** Runs a handler's read-after-create once the operation is finished (whoever waited has moved on). */
  private observe(resourceId: string, read: () => Promise<{ etag: string | null; snapshot: unknown }>): void {
    void read()
      .then((observed) => this.deps.store.ledger.recordObservation(resourceId, observed))
      .catch((error: unknown) => this.deps.logger.warn({ resourceId, err: (error as Error).message }, 'could not read a created resource back; its etag stays unknown'));
  }

  /** Finishes the operation (see OperationLedger.finish), publishes it, and lets whoever waits for it move on. */
  private async finish(operation: Operation, resource: Resource | null, outcome: OperationOutcome): Promise<void> {
    // An onboarding step's end is made durable by the saga's pass that starts its dependants (that
    // commit flushes the log up to it): one wait for the disk on the hand-over instead of two.
    const onboardingId = onboardingOf(operation);
    const recording = this.deps.store.ledger.finish(operation, resource, outcome, { flushLater: onboardingId !== undefined });
    if (onboardingId !== undefined) this.deps.stepEndRecording?.(onboardingId, operation, recording);
    const done = await recording;
    if (done.alreadyFinished) return this.alreadyFinished(operation);
    const news: TopicMessage[] = [message(topics.operation(done.operation.id), operationEvent(done.operation))];
    // A failure that left the resource as it was is no news about the resource.
    if (done.resource && done.action && (outcome.status === 'SUCCEEDED' || done.resource !== resource)) {
      news.push(
        message(
          topics.resource(done.resource.type, done.resource.id),
          resourceChangeEvent(done.resource, outcome.status === 'SUCCEEDED' ? done.action : outcome.conflict ? 'CONFLICT_DETECTED' : 'FAILED', operation.id),
        ),
      );
    }
    // Not awaited, like the RUNNING news: whoever waits for this operation (an onboarding's next
    // step) moves on at once; its own publishes go out after these on the same connection.
    this.deps.bus.announce(...news);
    if (done.operation.status === 'FAILED') await this.deps.webhooks?.emit([operationFailedEvent(done.operation)]);
    await this.notifyFinished(done.operation);
  }

  /**
   * This run's outcome is not recorded: another run of the operation (a job delivered again while
   * this one still worked) finished it first, and its news and follow-ups went out then.
   */
  private alreadyFinished(operation: Operation): void {
    this.deps.logger.info({ operationId: operation.id, type: operation.type }, 'operation was finished by another run meanwhile; this run records nothing');
  }

  /** Lets whoever waits for this operation (an onboarding) move on; its own failure is only logged. */
  private async notifyFinished(operation: Operation): Promise<void> {
    if (!this.deps.afterOperation) return;
    await this.deps.afterOperation(operation, { onboardingId: onboardingOf(operation) }).catch((error) => {
      this.deps.logger.warn({ operationId: operation.id, err: (error as Error).message }, 'follow-up of a finished operation failed; the sweep retries it');
    });
  }
}

/** The onboarding an operation is a step of, if any. */
function onboardingOf(operation: Operation): string | undefined {
  const { onboardingId } = operation.input as { onboardingId?: unknown };
  return typeof onboardingId === 'string' ? onboardingId : undefined;
}

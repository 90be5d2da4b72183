import type { Queue } from 'bullmq';
import type pg from 'pg';
import { deterministicId } from '../../domain/deterministic-id.js';
import { decide, type Ledger, type UndoToAdd } from '../../domain/onboarding-decide.js';
import { isInlineStep, TERMINAL_ONBOARDING, type StepKind } from '../../domain/onboarding.js';
import type { OperationErrorInfo } from '../../domain/operation-error.js';
import type { StripeResourcePath } from '../../domain/resource-types.js';
import type { Logger } from '../../logging/logger.js';
import { inJobSpan, inTraceContext } from '../../observability/tracing.js';
import type { PlatformClient } from '../../platform/platform-client.js';
import type { EventBus } from '../../pubsub/event-bus.js';
import { onboardingEvent, topics } from '../../pubsub/events.js';
import type { LeftBehind, OnboardingRow, OnboardingState, OnboardingStatus, StepRow } from '../../store/onboarding-rows.js';
import type { InlineStepRow, StepStart } from '../../store/onboarding.store.js';
import type { ResourceSummary } from '../../store/rows.js';
import type { StartedOperation, StepOperation } from '../../store/operation-ledger.js';
import type { StatementText } from '../../store/db.js';
import type { Store } from '../../store/store.js';
import { enqueueOperation, enqueueOperationRetry } from '../enqueue.js';
import { jitteredBackoff, onboardingStepJob, type OnboardingJobData, type OperationJobData } from '../queues.js';
import { startRecorded } from '../recorded-start.js';
import { requeueIfOrphaned } from '../reconciler.js';
import { onboardingFinishedEvent } from '../webhooks/event-payloads.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { inlineStepOf, onlyReads, performInlineStep } from './inline-steps.js';
import { LocalRuns } from './local-runs.js';
import { resourcesRead, stepOperation } from './step-operations.js';

export interface OrchestratorOptions {
  store: Store;
  operationsQueue: Queue<OperationJobData>;
  onboardingQueue: Queue<OnboardingJobData>;
  bus: EventBus;
  platform: PlatformClient;
  logger: Logger;
  /** Steps running at once across every onboarding of this deployment (one AEP org). */
  concurrency: number;
  /**
   * A step's RUNNING operation without a job is enqueued again only once its heartbeat is this
   * old (the worker lock time): it may still run in a live worker after Redis lost its job. Default 30 s.
   */
  runningStaleMs?: number;
  /** Where a finished onboarding is announced to webhooks (ONBOARDING_FINISHED); none: not announced. */
  webhooks?: WebhookDispatcher;
}

/** What a worker process gives the orchestrator to run steps itself (see `runStepsHere`). */
export interface StepsHere {
  /** Steps this process runs at once, at most; what a pass starts beyond them is enqueued. */
  slots: number;
  /**
   * Runs a step operation the pass recorded RUNNING (the operation processor, with its heartbeat):
   * resolves once it is finished and the saga advanced; throws what a job would throw — a
   * retryable failure (recorded RETRYING) for a later attempt, BullMQ's UnrecoverableError when it
   * failed for good (recorded FAILED). It is called while the pass commits: `recorded` says
   * whether the pass (and so the operation) was committed and on disk; nothing is sent to the
   * Platform, and nothing recorded, before it resolved true (see jobs/recorded-start.ts).
   */
  runOperation: (started: StartedOperation, recorded: Promise<boolean>) => Promise<void>;
  /** Tells a final failure (nothing to retry) from a retryable one. */
  isFinal: (error: unknown) => boolean;
}

/**
 * The longest a pass waits for ends of its onboarding's steps still being recorded in this process
 * (see `recordingEnd`). An end takes 2–12 ms to record; a slower one is folded by a later pass.
 */
const END_WAIT_MS = 25;

/** How often an inline step run in this process renews its step's `updated_at` (the sweep takes a step silent for 2 s for lost). */
const INLINE_HEARTBEAT_MS = 500;

/** The steps a pass started: those this process runs itself (in slots it reserved) and those it enqueues. */
interface StartedWork {
  /** The steps marked RUNNING (recorded with the pass's progress). */
  starts: StepStart[];
  queued: { operations: string[]; inline: { key: string; attempt: number }[] };
  here: { operations: StartedOperation[]; inline: InlineStepRow[] };
  /** Slots of `LocalRuns` this pass reserved; what it does not launch is given back. */
  reserved: number;
  /** Steps launched before the pass recorded anything (reads: see `launchReads`), in reserved slots. */
  launchedEarly: number;
}

const nothingStarted = (): StartedWork => ({ starts: [], queued: { operations: [], inline: [] }, here: { operations: [], inline: [] }, reserved: 0, launchedEarly: 0 });

/** The next move of an unfinished onboarding, as `decide` chose it. */
interface Decision {
  status: OnboardingStatus;
  error?: OperationErrorInfo | null;
  leftBehind?: LeftBehind[];
}

const isInline = isInlineStep;

/** The end of a step being recorded in this process (see `recordingEnd`), until a pass folds it. */
export interface EndRecording {
  /** The step's key in the ledger. */
  step: string;
  /** Settles (never rejects) once the end is recorded or its recording failed. */
  settled: Promise<void>;
  done: boolean;
}

/**
 * Drives onboardings. `advance()` is the whole state machine: under a row lock on the
 * onboarding it folds finished operations into the step ledger, decides the next steps (or the
 * rollback, or the end), records them, commits, and only then starts them — in this process when
 * it runs steps and has a free slot, through the queue otherwise — and publishes the new state.
 * It is idempotent and safe to call at any time from any process — after a step finished, from
 * the periodic sweep, or after a crash — which is what makes the saga resumable. Every query is
 * the OnboardingStore's; the steps' resources and operations are recorded through the
 * OperationLedger, checked against their operations' contracts.
 */
export class OnboardingOrchestrator {
  /** Advances running in this process, per onboarding, and whether another pass was asked for meanwhile. */
  private readonly inFlight = new Map<string, { again: boolean; recorded: boolean; wake: () => void; done: Promise<void>; ended: Set<string>; folded: Set<string> }>();
  /** Steps running across the deployment as a pass read them with its lock (after its fold), per locked row. */
  private readonly runningAtLock = new WeakMap<OnboardingRow, number>();
  /** Onboardings (advanced in this process) with ready steps that found the step budget used up, oldest first. */
  private readonly waitingForBudget = new Set<string>();
  /** Ends of steps recorded (or being recorded) in this process and not yet folded by a pass here, per onboarding and key (see `recordingEnd`). */
  private readonly endsRecording = new Map<string, Map<string, EndRecording>>();
  /** The step ledger of each unfinished onboarding as the last pass in this process left it: which ends a pass waits for. */
  private readonly ledgers = new Map<string, StepRow[]>();
  /** Set by a worker (`runStepsHere`): steps this process runs itself; none in a gateway. */
  private here: { local: LocalRuns; options: StepsHere } | null = null;

  constructor(private readonly options: OrchestratorOptions) {}

  /**
   * From now on, steps a pass in this process starts run in this process, right after the pass
   * committed, up to `slots` at once (the rest are enqueued as before). Only a worker calls this: it
   * can run operations. A step run here has no job: its operation is recorded RUNNING by the pass
   * and heartbeated while it runs, an inline step's row is touched every 500 ms, so the sweep and
   * the reconciler leave it alone while this process lives and enqueue it once it died. A
   * retryable failure is enqueued with backoff, as a job's retry would be.
   */
  runStepsHere(options: StepsHere): void {
    this.here = { local: new LocalRuns(options.slots, this.options.logger), options };
  }

  /** Starts no more steps in this process and waits for those it runs (a graceful stop). */
  async stopRunningStepsHere(): Promise<void> {
    await this.here?.local.stop();
  }

  /**
   * Notes that the end of one of `onboardingId`'s steps (`end.step`, its key in the ledger) is
   * being recorded in this process; `recording` settles once it is. The steps of one level (one
   * per Stripe resource, or a dataflow's mapping and target connection) end within a few
   * milliseconds of each other, and each end takes a few milliseconds to record: a pass that
   * started after the first end was recorded did not see the others, and the last resource's next
   * step waited for that pass and another one (measured: 12–17 ms later than its siblings'). A pass
   * now first waits (at most END_WAIT_MS) for the ends that would make a step ready with it.
   */
  recordingEnd(onboardingId: string, end: { key: string; step: string }, recording: Promise<unknown>): void {
    let ends = this.endsRecording.get(onboardingId);
    if (!ends) this.endsRecording.set(onboardingId, (ends = new Map<string, EndRecording>()));
    const entry: EndRecording = {
      step: end.step,
      settled: recording.then(
        () => {},
        () => {},
      ),
      done: false,
    };
    ends.set(end.key, entry);
    void entry.settled.then(() => (entry.done = true));
  }

  /**
   * Waits (at most END_WAIT_MS) for the ends being recorded here that make a pending step ready —
   * a dataflow's mapping ending beside its target connection, the other resources' schemas — and
   * for no other (see `siblingEnds`: a source connection ending beside the explores starts nothing). Returns the keys of the ends
   * recorded by then: the pass about to start folds them, so their own call to `advance` asks for no other pass.
   */
  private async endsRecordedHere(onboardingId: string, ended: ReadonlySet<string>): Promise<Set<string>> {
    const ends = this.endsRecording.get(onboardingId);
    if (!ends || ends.size === 0) return new Set();
    const waited = siblingEnds(this.ledgers.get(onboardingId) ?? [], ended, ends);
    if (waited.some((end) => !end.done)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(waited.map((end) => end.settled)), new Promise<void>((resolve) => (timer = setTimeout(resolve, END_WAIT_MS)))]);
      clearTimeout(timer);
    }
    const folded = new Set<string>();
    for (const [key, end] of ends) {
      if (!end.done) continue;
      folded.add(key);
      ends.delete(key);
    }
    if (ends.size === 0) this.endsRecording.delete(onboardingId);
    return folded;
  }

  /**
   * `stepRecorded`: the caller has just recorded a step's outcome, so the new state is saved and
   * published even if nothing else moves; `ended`: that end, as given to `recordingEnd`.
   */
  async advance(onboardingId: string, stepRecorded = false, ended?: { key: string; step: string }): Promise<void> {
    // The steps of one level (one per Stripe resource) finish within milliseconds of each other,
    // and each used to advance on its own: the advances queued on the row lock, so the last
    // resource's next step started only after all the others' advances (measured: 5–17 ms of
    // lock wait per level, on the critical path). A call arriving while this process is already
    // advancing the onboarding now asks for one more pass instead, which starts after the current
    // one committed and so sees the caller's committed change; every waiting caller resolves with it.
    const running = this.inFlight.get(onboardingId);
    if (running) {
      // Already folded by the pass that waited for it (see `endsRecordedHere`).
      if (ended && running.folded.delete(ended.key)) return running.done;
      if (ended) running.ended.add(ended.step);
      running.again = true;
      running.recorded ||= stepRecorded;
      running.wake();
      return running.done;
    }
    const entry = { again: false, recorded: stepRecorded, wake: () => {}, done: Promise.resolve(), ended: new Set(ended ? [ended.step] : []), folded: new Set<string>() };
    entry.done = (async () => {
      // A further pass starts as soon as the previous one committed and published, also while the
      // rest of the previous pass's hand-over (webhooks, waking waiting onboardings) goes on: two
      // steps that finish a few milliseconds apart (a dataflow's target connection and mapping)
      // used to wait for that before the second one's pass.
      let announced: Promise<void> = Promise.resolve();
      try {
        for (;;) {
          entry.folded = await this.endsRecordedHere(onboardingId, entry.ended);
          entry.ended = new Set();
          const recorded = entry.recorded;
          entry.again = false;
          entry.recorded = false;
          announced = (await this.advanceOnce(onboardingId, recorded, announced)).announced;
          if (entry.again) continue;
          const asked = new Promise<void>((resolve) => (entry.wake = resolve));
          await Promise.race([announced, asked]);
          if (!entry.again) break;
        }
      } finally {
        this.inFlight.delete(onboardingId);
      }
    })();
    this.inFlight.set(onboardingId, entry);
    return entry.done;
  }

  /**
   * One pass of the state machine (see the class comment). Resolves once it committed and
   * published, with `announced`: the rest of its hand-over, done after `previous` (the earlier pass's).
   */
  private async advanceOnce(onboardingId: string, stepRecorded: boolean, previous: Promise<void>): Promise<{ announced: Promise<void> }> {
    const started = nothingStarted();
    let state: OnboardingState | null = null;
    let traceParent: string | null = null;
    let enqueued: Promise<unknown> = Promise.resolve();
    let handedOver = false;
    // Whether this pass committed (and its starts are on disk): what it starts here waits for it.
    let settle: (committed: boolean) => void = () => {};
    const recorded = new Promise<boolean>((resolve) => (settle = resolve));
    try {
      const passed = await this.options.store.onboardings.pass(
        onboardingId,
        async (client, locked) => {
          const { onboarding, steps } = locked;
          traceParent = onboarding.trace_parent;
          this.runningAtLock.set(onboarding, locked.runningSteps);
          // Passes run in workers, which sweep: the sweep drops the ledgers of onboardings finished elsewhere.
          this.ledgers.set(onboardingId, steps);
          const next = TERMINAL_ONBOARDING.includes(onboarding.status) ? null : await this.decide(client, onboarding, steps, started);
          this.launchReads(onboardingId, traceParent, started, recorded);
          // The onboarding's new state is written in the commit's round trip (see `pass`).
          const progress = locked.folded > 0 || next || stepRecorded ? this.progressOf(onboarding, steps, next?.status ?? onboarding.status, next?.error, next?.leftBehind, started.starts) : null;
          // A pass that starts a step must be on disk before the step's call (a lost start would
          // run it again as a first attempt, creating twice), and an end before it is announced;
          // any other pass only records what commits before it made (see `pass`).
          const ends = next !== null && TERMINAL_ONBOARDING.includes(next.status);
          return { flushLater: started.starts.length === 0 && !ends, progress, steps };
        },
        async ({ steps }, saved) => {
          if (saved) state = { onboarding: saved, steps };
          // Committed: the queued steps are enqueued now — a job never runs ahead of the ledger
          // that explains it — before the state is published (the news need not hold up the
          // work), and the state is published before the next pass may start (the store holds the
          // onboarding's pass lock until then): subscribers hear states in version order, and a
          // state they hear is already what a query returns.
          enqueued = this.enqueue(onboardingId, traceParent, started);
          if (state) await this.publish(state);
        },
        (_result, committed) => {
          // The steps run here start while the commit (and its wait for the disk) is under way:
          // what comes before their first Platform call — the create fence, a body to build —
          // runs beside it, and the call itself (its place in the call budget first) waits for it
          // (see `startHere`).
          handedOver = true;
          committed.then(
            () => settle(true),
            () => settle(false),
          );
          this.startHere(onboardingId, traceParent, started, recorded);
        },
      );
      if (passed === null || TERMINAL_ONBOARDING.includes((state as OnboardingState | null)?.onboarding.status ?? 'RUNNING')) {
        // Finished (or gone): no pass here will wait for its ends any more.
        this.ledgers.delete(onboardingId);
        this.endsRecording.delete(onboardingId);
      }
      if (passed === null) return { announced: previous };
    } finally {
      if (!handedOver) {
        settle(false);
        this.here?.local.release(started.reserved - started.launchedEarly);
      }
    }
    const announce = async () => {
      await enqueued;
      await previous;
      const finished: OnboardingState | null = state;
      if (finished && TERMINAL_ONBOARDING.includes(finished.onboarding.status)) await this.options.webhooks?.emit([onboardingFinishedEvent(finished.onboarding)]);
      if (state && this.waitingForBudget.size > 0) {
        void this.wakeWaiting().catch((error) => this.options.logger.warn({ err: (error as Error).message }, 'could not hand free step slots to waiting onboardings'));
      }
    };
    return { announced: announce() };
  }

  /**
   * Runs an inline step (connection test, explore, the shared class and its undo) from its job,
   * records its outcome, then advances. `redelivered`: an earlier delivery of this job may have run it.
   */
  async runInlineStep(onboardingId: string, key: string, finalAttempt: boolean, redelivered = false): Promise<void> {
    const step = await this.options.store.onboardings.inlineStep(onboardingId, key);
    if (!step || step.status !== 'RUNNING') return;
    await this.carryOutInline(step, finalAttempt, redelivered);
  }

  /**
   * Carries out a RUNNING inline step, records its outcome, then advances; throws a retryable
   * failure unless `finalAttempt`. `recorded`: its first run, by the process that started it, while
   * the pass that started it commits (see `startHere`).
   */
  private async carryOutInline(step: InlineStepRow, finalAttempt: boolean, redelivered: boolean, recorded?: Promise<boolean>): Promise<void> {
    const { platform, store } = this.options;
    const onboardingId = step.onboarding_id;
    const outcome = await performInlineStep(step, {
      platform,
      fence: store.createFence,
      finalAttempt,
      redelivered,
      startedHere: recorded !== undefined,
      beforeWrite: recorded && (() => startRecorded(recorded)),
      markCreateSent: () => store.onboardings.markCreateSent(onboardingId, step.key),
    });
    // A read may be answered before its start is committed: its outcome is recorded after it (a
    // step that is not RUNNING records nothing); a pass that did not commit started nothing.
    if (recorded && !(await recorded)) return;
    const ended = { key: step.key, step: step.key };
    const recording = store.onboardings.recordInlineOutcome(onboardingId, step.key, outcome);
    this.recordingEnd(onboardingId, ended, recording);
    await recording;
    await this.advance(onboardingId, true, ended);
  }

  /**
   * Repairs what a crash or a lost Redis can leave: inline steps RUNNING without a job and
   * without a live runner (they only read, so running one twice is harmless; the shared class is
   * looked up before it is made again), unfinished operations of RUNNING steps without a job (never
   * enqueued, dropped by BullMQ after stalling twice, flushed, or run by a process that died: the
   * core reconciler would take 15 s or more; a RUNNING one only once its heartbeat stopped); then
   * advances every unfinished onboarding.
   */
  async sweep(): Promise<number> {
    const { store, onboardingQueue, operationsQueue, logger } = this.options;
    const open = await store.onboardings.unfinishedIds();
    const unfinished = new Set(open);
    for (const id of [...this.ledgers.keys(), ...this.endsRecording.keys()]) {
      if (unfinished.has(id)) continue;
      this.ledgers.delete(id);
      this.endsRecording.delete(id);
    }
    for (const step of await store.onboardings.stepsRunningLongerThan(2)) {
      if (isInline(step.kind)) {
        if (!(await onboardingQueue.getJob(inlineJobId(step.onboardingId, step.key, step.attempts)))) await this.enqueueInline(step.onboardingId, step.key, step.attempts);
      } else if (step.operationId && ['QUEUED', 'RUNNING', 'RETRYING'].includes(step.operationStatus ?? '')) {
        await requeueIfOrphaned({ queue: operationsQueue, store, logger, runningStaleMs: this.options.runningStaleMs ?? 30_000 }, step.operationId);
      }
    }
    for (const id of open) {
      await this.advance(id).catch((error) => logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
    return open.length;
  }

  // ---- the state machine -------------------------------------------------------------------

  /**
   * Carries out the next move `decide` chooses for an unfinished onboarding (from the ledger held
   * under the row lock), adding the steps it starts to `started`; null when nothing changes.
   */
  private async decide(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[], started: StartedWork): Promise<Decision | null> {
    let decision = decide(ledgerOf(onboarding, steps));
    let error: OperationErrorInfo | null | undefined;
    if (decision.action === 'roll-back') {
      // A failure begins the rollback (a cancel began it already, with its own error).
      if (onboarding.status !== 'ROLLING_BACK') error = decision.error;
      await this.beginRollback(client, onboarding, steps, decision.undo, decision.cancel);
      onboarding.status = 'ROLLING_BACK';
      if (error !== undefined) onboarding.error = error;
      // Nothing made, nothing to undo: rolled back at once.
      decision = decision.undo.length === 0 ? { action: 'end-rollback', status: 'ROLLED_BACK', leftBehind: [] } : decide(ledgerOf(onboarding, steps));
    }
    const withError = error !== undefined ? { error } : {};
    switch (decision.action) {
      case 'none':
        return error !== undefined ? { status: onboarding.status, ...withError } : null;
      case 'succeed':
        return { status: 'SUCCEEDED', error: null };
      case 'fail':
        return { status: 'FAILED', error: decision.error };
      case 'end-rollback':
        return { status: decision.status, leftBehind: decision.leftBehind, ...withError };
      case 'roll-back':
        throw new Error(`onboarding ${onboarding.id}: the rollback was planned twice`);
      case 'start': {
        await this.startReady(client, onboarding, steps, decision.keys, started);
        // During a rollback every pass is saved (progress and current step move with the undos).
        if (decision.status === 'ROLLING_BACK' || error !== undefined) return { status: decision.status, ...withError };
        const count = started.starts.length;
        const status = count > 0 || onboarding.status === 'QUEUED' || steps.some((x) => x.undoes === null && x.status === 'RUNNING') ? 'RUNNING' : onboarding.status;
        return status === onboarding.status && count === 0 ? null : { status };
      }
    }
  }

  /** Records the undo steps of a rollback (listed after the forward steps) and cancels the forward steps that never ran. */
  private async beginRollback(client: pg.PoolClient, onboarding: OnboardingRow, steps: StepRow[], undo: UndoToAdd[], cancel: string[]): Promise<void> {
    const { onboardings } = this.options.store;
    const forward = steps.filter((s) => s.undoes === null);
    const inserted = await onboardings.insertSteps(
      client,
      onboarding.id,
      undo.map((u, index) => ({
        id: deterministicId(onboarding.id, u.key),
        key: u.key,
        kind: u.kind,
        position: forward.length + index,
        resource: u.resource,
        dependsOn: u.dependsOn,
        weight: 1,
        resourceType: forward.find((s) => s.key === u.undoes)!.resource_type,
        resourceId: u.resourceId,
        undoes: u.undoes,
      })),
    );
    steps.push(...inserted.sort((x, y) => x.position - y.position));
    // Forward steps that never ran will not: they are cancelled, not failed.
    const notRun = forward.filter((s) => cancel.includes(s.key));
    await onboardings.cancelSteps(
      client,
      notRun.map((s) => s.id),
    );
    for (const s of notRun) s.status = 'CANCELLED';
  }

  /**
   * Starts the steps `decide` found ready, within the deployment-wide step budget: their
   * operations (and resource rows) recorded in one statement; the steps are marked RUNNING with
   * the pass's progress. As many as this process has free slots for are run here: their
   * operations are recorded RUNNING (claimed), the rest QUEUED for the queue.
   */
  private async startReady(client: pg.PoolClient, onboarding: OnboardingRow, all: StepRow[], keys: string[], started: StartedWork): Promise<void> {
    const ready = keys.map((key) => all.find((s) => s.key === key)!);
    this.waitingForBudget.delete(onboarding.id);
    if (ready.length === 0) return;
    const busy = this.runningAtLock.get(onboarding) ?? (await this.options.store.onboardings.runningStepCount(client));
    let budget = Math.max(0, this.options.concurrency - busy);
    started.reserved = this.here?.local.reserve(Math.min(budget, ready.length)) ?? 0;
    let freeHere = started.reserved;
    const operations: StepOperation[] = [];
    const startable = ready.slice(0, budget).filter((s) => !isInline(s.kind));
    const wanted = startable.flatMap((s) => resourcesRead(onboarding, all, s));
    const known = wanted.length > 0 ? await this.options.store.onboardings.resources(client, wanted) : new Map<string, ResourceSummary>();
    for (const step of ready) {
      if (budget <= 0) break;
      budget--;
      const attempt = step.attempts + 1;
      if (isInline(step.kind)) {
        const here = freeHere > 0;
        // The shared class run here: its "create sent" note goes with the start (one statement
        // less, on the way to the schemas), where a job notes it itself before its create.
        started.starts.push({ stepId: step.id, attempt, operationId: null, createSent: here && step.kind === 'CREATE_XDM_CLASS' });
        Object.assign(step, { status: 'RUNNING', attempts: attempt });
        if (here) {
          freeHere--;
          started.here.inline.push(inlineStepOf(onboarding, all, step));
        } else started.queued.inline.push({ key: step.key, attempt });
        continue;
      }
      const operation = await stepOperation(this.options.store.onboardings, client, onboarding, all, step, attempt, known);
      if (operation === null) continue; // failed while preparing (recorded on the step)
      if (freeHere > 0) {
        freeHere--;
        operation.claim = true;
      }
      operations.push(operation);
      started.starts.push({ stepId: step.id, attempt, operationId: operation.operation.id });
      Object.assign(step, { status: 'RUNNING', attempts: attempt, operation_id: operation.operation.id });
    }
    // One statement for every operation this pass starts, under the onboarding's row lock (a
    // statement per step kept the lock, and every step's start, waiting).
    const claimed = new Map((await this.options.store.ledger.recordStepOperations(client, operations)).map((c) => [c.operation.id, c]));
    for (const { operation } of operations) {
      // An operation recorded by an earlier, interrupted pass is not claimed: the queue runs it.
      const here = claimed.get(operation.id);
      if (here) started.here.operations.push(here);
      else started.queued.operations.push(operation.id);
    }
    if (ready.some((s) => s.status === 'PENDING')) this.waitingForBudget.add(onboarding.id);
  }

  /**
   * Hands free step slots to onboardings that found none. Without it they waited for the next
   * sweep (every 2 s) even when slots freed a moment later: 20 onboardings started at once
   * finished in waves 2 s apart (measured: p50 5.2 s, all done after 9.3 s). Called after a pass
   * that changed something (a step finished or started); the sweep still covers other processes.
   */
  private async wakeWaiting(): Promise<void> {
    const busy = await this.options.store.onboardings.runningStepCount();
    let free = this.options.concurrency - busy;
    for (const id of this.waitingForBudget) {
      if (free-- <= 0) break;
      this.waitingForBudget.delete(id);
      void this.advance(id).catch((error) => this.options.logger.warn({ onboardingId: id, err: (error as Error).message }, 'could not advance onboarding'));
    }
  }

  /** The statement that saves the pass's outcome: status, progress, current step, the steps it starts (see `OnboardingStore.progressUpdate`). */
  private progressOf(
    onboarding: OnboardingRow,
    steps: StepRow[],
    status: OnboardingStatus,
    error: OperationErrorInfo | null | undefined,
    leftBehind: LeftBehind[] | undefined,
    starts: StepStart[],
  ): StatementText {
    const forward = steps.filter((s) => s.undoes === null);
    const total = forward.reduce((sum, s) => sum + s.weight, 0);
    const done = forward.filter((s) => s.status === 'SUCCEEDED').reduce((sum, s) => sum + s.weight, 0);
    const progress = status === 'SUCCEEDED' ? 1 : total === 0 ? 0 : Math.min(0.99, done / total);
    return this.options.store.onboardings.progressUpdate(onboarding.id, {
      status,
      progress,
      currentStep: steps.find((s) => s.status === 'RUNNING')?.key ?? null,
      terminal: TERMINAL_ONBOARDING.includes(status),
      error,
      leftBehind,
      starts,
    });
  }

  // ---- starting steps ----------------------------------------------------------------------

  /**
   * Launches, in this process's reserved slots, the steps the pass claimed for it (but the reads
   * `launchReads` launched already); gives back the slots it did not use. Called while the pass
   * commits (`recorded`: whether it did): a step's writes to the Platform wait until its start is
   * on disk (a lost start would run it again as a first attempt, which creates without looking
   * first), and its outcome is recorded only after that; its reads go at once. If the pass did not
   * commit, the steps it started end without recording anything (they were never started: the
   * next pass starts them).
   */
  private startHere(onboardingId: string, traceParent: string | null, started: StartedWork, recorded: Promise<boolean>): void {
    const here = this.here;
    if (!here) return;
    here.local.release(started.reserved - started.launchedEarly - started.here.operations.length - started.here.inline.length);
    // In the onboarding's own trace, as its jobs are: every step is a child of the onboarding's span.
    const carrier = { traceparent: traceParent ?? undefined };
    for (const claimed of started.here.operations) {
      const operationId = claimed.operation.id;
      here.local.launch({ onboardingId, operationId }, () =>
        inJobSpan('operation', carrier, { 'flowgate.operation.id': operationId, 'flowgate.onboarding.id': onboardingId }, async () => {
          try {
            await here.options.runOperation(claimed, recorded);
          } catch (error) {
            // Never started (the pass did not commit), or failed for good: recorded, and the saga has advanced on it.
            if (!(await recorded) || here.options.isFinal(error)) return;
            // Recorded RETRYING: the next attempt goes through the queue, with backoff.
            await enqueueOperationRetry(this.options.operationsQueue, operationId, this.options.logger);
          }
        }),
      );
    }
    this.launchInline(onboardingId, traceParent, started.here.inline, recorded);
  }

  /**
   * Launches the inline steps that only read (connection test, explore) that the pass claimed for
   * this process as soon as it decided them, before it records anything: a read needs nothing on
   * disk (running one twice is harmless), and its outcome is recorded once the pass committed (or
   * dropped if it did not). The connection test and the explores thus go a few statements and a
   * commit earlier on every onboarding's critical path.
   */
  private launchReads(onboardingId: string, traceParent: string | null, started: StartedWork, recorded: Promise<boolean>): void {
    if (!this.here) return;
    const reads = started.here.inline.filter((step) => onlyReads(step.kind));
    if (reads.length === 0) return;
    started.here.inline = started.here.inline.filter((step) => !onlyReads(step.kind));
    started.launchedEarly += reads.length;
    this.launchInline(onboardingId, traceParent, reads, recorded);
  }

  /** Launches inline steps in reserved slots of this process, in the onboarding's trace. */
  private launchInline(onboardingId: string, traceParent: string | null, steps: InlineStepRow[], recorded: Promise<boolean>): void {
    const here = this.here;
    if (!here) return;
    const carrier = { traceparent: traceParent ?? undefined };
    for (const step of steps) {
      here.local.launch({ onboardingId, key: step.key }, () =>
        inJobSpan(`onboarding step ${step.key}`, carrier, { 'flowgate.onboarding.id': onboardingId, 'flowgate.step.key': step.key }, () => this.runInlineHere(step, recorded)),
      );
    }
  }

  /**
   * Runs an inline step in this process, its row touched while it runs; a retryable failure goes
   * to the queue, with backoff. `recorded`: whether the pass that started it committed.
   */
  private async runInlineHere(step: InlineStepRow, recorded: Promise<boolean>): Promise<void> {
    const { store, logger } = this.options;
    const heartbeat = setInterval(() => {
      store.onboardings
        .touchRunningStep(step.onboarding_id, step.key)
        .catch((error: unknown) => logger.warn({ onboardingId: step.onboarding_id, key: step.key, err: (error as Error).message }, 'could not renew a running step'));
    }, INLINE_HEARTBEAT_MS);
    try {
      await this.carryOutInline(step, false, false, recorded);
    } catch {
      // A retryable failure (nothing was recorded): the step's next attempts are its job's (if it started at all).
      if (await recorded) await this.enqueueInline(step.onboarding_id, step.key, step.attempts, { retry: true });
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Enqueues the steps the pass started that this process does not run. */
  private async enqueue(onboardingId: string, traceParent: string | null, started: StartedWork): Promise<void> {
    const { queued } = started;
    if (queued.inline.length + queued.operations.length === 0) return;
    // All at once: the queue connection pipelines them into one round trip, where one after
    // another delayed the last of six jobs (an explore, on the critical path) by five round trips.
    // Inline steps first: after the base connection, the explores lead the longest chains
    // (explore → schema → dataset → …) while the source connections are not needed until the mappings.
    // In the onboarding's own trace context, whichever job or sweep runs this pass: every step
    // is a child of the onboarding's span.
    await inTraceContext({ traceparent: traceParent ?? undefined }, () =>
      Promise.all([
        ...queued.inline.map(({ key, attempt }) => this.enqueueInline(onboardingId, key, attempt)),
        ...queued.operations.map((operationId) => enqueueOperation(this.options.operationsQueue, operationId, this.options.logger)),
      ]),
    );
  }

  /** `retry`: the first attempt ran in a process (not a job) and failed retryably; the job makes the others, after a backoff. */
  private async enqueueInline(onboardingId: string, key: string, attempts?: number, options: { retry?: boolean } = {}): Promise<void> {
    const attempt = attempts ?? (await this.options.store.onboardings.stepAttempts(onboardingId, key)) ?? 1;
    try {
      await this.options.onboardingQueue.add(onboardingStepJob.name, onboardingStepJob.data({ onboardingId, stepKey: key }), {
        jobId: inlineJobId(onboardingId, key, attempt),
        attempts: options.retry ? INLINE_STEP_ATTEMPTS - 1 : INLINE_STEP_ATTEMPTS,
        backoff: { type: 'jittered' },
        ...(options.retry ? { delay: jitteredBackoff(1) } : {}),
        removeOnComplete: true,
        removeOnFail: true,
      });
    } catch (error) {
      this.options.logger.warn({ onboardingId, key, err: (error as Error).message }, 'could not enqueue an onboarding step; the sweep will');
    }
  }

  private async publish(state: OnboardingState): Promise<void> {
    await this.options.bus.publish(topics.onboarding(state.onboarding.id), onboardingEvent(state)).catch((error) => {
      this.options.logger.warn({ onboardingId: state.onboarding.id, err: (error as Error).message }, 'could not publish onboarding progress');
    });
  }
}

/** Attempts of an inline step, in all (a job's BullMQ attempts). */
const INLINE_STEP_ATTEMPTS = 5;

/** The ledger as `decide` reads it. */
function ledgerOf(onboarding: OnboardingRow, steps: StepRow[]): Ledger {
  return {
    status: onboarding.status,
    rollbackOnFailure: onboarding.rollback_on_failure,
    steps: steps.map((s) => ({
      key: s.key,
      kind: s.kind as StepKind,
      status: s.status,
      dependsOn: s.depends_on,
      undoes: s.undoes,
      resource: s.stripe_resource as StripeResourcePath | null,
      resourceType: s.resource_type,
      resourceId: s.resource_id,
      platformId: s.platform_id,
      error: s.error,
    })),
  };
}

/** Job id of an inline step's attempt: one job per attempt, so a retried step gets a fresh job. */
export function inlineJobId(onboardingId: string, key: string, attempt: number): string {
  return `${onboardingId}.${key.replace(/:/g, '.')}.${attempt}`;
}

/**
 * The ends in `ends` (recorded or being recorded, not yet folded) that a pass asked for by the ends
 * of `ended` (step keys) waits for: the inputs of each pending step whose every input has
 * succeeded (by `ledger`, the last pass's view), has ended, or is among `ends` — once they are
 * recorded, the pass starts that step instead of leaving it to another pass. None for a pass
 * nothing ended for (a sweep).
 */
export function siblingEnds(ledger: readonly StepRow[], ended: ReadonlySet<string>, ends: ReadonlyMap<string, EndRecording>): EndRecording[] {
  if (ended.size === 0) return [];
  const byStep = new Map([...ends.values()].map((end) => [end.step, end]));
  const succeeded = new Set(ledger.filter((s) => s.status === 'SUCCEEDED').map((s) => s.key));
  const waited = new Set<EndRecording>();
  for (const step of ledger) {
    if (step.status !== 'PENDING') continue;
    const missing = step.depends_on.filter((key) => !succeeded.has(key) && !ended.has(key));
    if (missing.length > 0 && missing.every((key) => byStep.has(key))) for (const key of missing) waited.add(byStep.get(key)!);
  }
  return [...waited];
}

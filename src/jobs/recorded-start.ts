/**
 * An onboarding step run by the worker whose pass started it begins while that pass commits
 * (see `OnboardingOrchestrator`): `recorded` resolves with whether the pass was committed and,
 * with it, the step's start is on disk. Its Platform writes wait for that — a lost start would run
 * the step again as a first attempt, which creates without looking first — and its outcome is
 * recorded only after it.
 */

/**
 * Resolves once the start is on disk, so a Platform write may go (a call's `beforeSend`); throws
 * `StartNotRecordedError` when the pass did not commit: the step never started, nothing is sent.
 */
export async function startRecorded(recorded: Promise<boolean>): Promise<void> {
  if (!(await recorded)) throw new StartNotRecordedError();
}

/** A step's Platform write held back because the pass that started the step did not commit. Not retried: the next pass starts the step. */
export class StartNotRecordedError extends Error {
  constructor() {
    super('the pass that started this step did not commit; nothing was sent');
    this.name = 'StartNotRecordedError';
  }
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNewSchedule, checkScheduleChange, sameSchedule, ScheduleRuleError, startTimeOf, type FlowSchedule } from '../../src/domain/schedule-rules.js';

const NOW = 1_780_000_000;
const at = (epochSeconds: number) => new Date(epochSeconds * 1000);

function refusal(work: () => unknown): ScheduleRuleError {
  try {
    work();
  } catch (error) {
    assert.ok(error instanceof ScheduleRuleError, `expected a ScheduleRuleError, got ${String(error)}`);
    return error;
  }
  assert.fail('the schedule was accepted');
}

describe('checkNewSchedule', () => {
  it('leaves an omitted start time open (null) for the flow create to fix, so a resubmit is the same request', () => {
    assert.deepEqual(checkNewSchedule({ frequency: 'minute', interval: 15 }, NOW), { frequency: 'minute', interval: 15, startTime: null, backfill: null });
  });

  it('starts 60 s after the flow is created when no start time is given, in epoch seconds (startTimeOf)', () => {
    const requested = checkNewSchedule({ frequency: 'minute', interval: 15 }, NOW);
    assert.equal(startTimeOf(requested, NOW + 500), NOW + 560);
    assert.equal(startTimeOf({ startTime: NOW + 7 }, NOW + 500), NOW + 7, 'a requested start time is kept');
  });

  it('keeps a given start time, cut to whole seconds, and the backfill flag', () => {
    const schedule = checkNewSchedule({ frequency: 'hour', interval: 2, startTime: new Date((NOW + 3600) * 1000 + 750), backfill: false }, NOW);
    assert.deepEqual(schedule, { frequency: 'hour', interval: 2, startTime: NOW + 3600, backfill: false });
  });

  it('accepts ONCE without interval or backfill', () => {
    assert.deepEqual(checkNewSchedule({ frequency: 'once', startTime: at(NOW + 10) }, NOW), { frequency: 'once', interval: null, startTime: NOW + 10, backfill: null });
  });

  it('refuses an interval with ONCE, naming the interval', () => {
    assert.equal(refusal(() => checkNewSchedule({ frequency: 'once', interval: 1 }, NOW)).field, 'input.schedule.interval');
  });

  it('refuses backfill with ONCE, naming backfill', () => {
    assert.equal(refusal(() => checkNewSchedule({ frequency: 'once', backfill: true }, NOW)).field, 'input.schedule.backfill');
  });

  for (const [frequency, below] of [
    ['minute', 14],
    ['hour', 0],
    ['day', 0],
    ['week', 0],
  ] as const) {
    it(`refuses a ${frequency} interval of ${below}, below the Platform's minimum`, () => {
      const error = refusal(() => checkNewSchedule({ frequency, interval: below }, NOW));
      assert.equal(error.field, 'input.schedule.interval');
      assert.match(error.reason, /at least/);
    });
  }

  it('accepts the minimum intervals: 15 minutes, 1 hour, 1 day, 1 week', () => {
    for (const [frequency, interval] of [
      ['minute', 15],
      ['hour', 1],
      ['day', 1],
      ['week', 1],
    ] as const) {
      assert.equal(checkNewSchedule({ frequency, interval }, NOW).interval, interval);
    }
  });

  it('refuses a repeating frequency without an interval', () => {
    assert.match(refusal(() => checkNewSchedule({ frequency: 'day' }, NOW)).reason, /required/);
  });

  it('refuses a start time more than 60 s in the past, and accepts one exactly 60 s in the past', () => {
    assert.equal(refusal(() => checkNewSchedule({ frequency: 'once', startTime: at(NOW - 61) }, NOW)).field, 'input.schedule.startTime');
    assert.equal(checkNewSchedule({ frequency: 'once', startTime: at(NOW - 60) }, NOW).startTime, NOW - 60);
  });

  it('refuses an unknown frequency', () => {
    assert.equal(refusal(() => checkNewSchedule({ frequency: 'month' as never, interval: 1 }, NOW)).field, 'input.schedule.frequency');
  });

  it('names fields under the path it is given', () => {
    assert.equal(refusal(() => checkNewSchedule({ frequency: 'minute', interval: 5 }, NOW, 'input.dataflows[2].schedule')).field, 'input.dataflows[2].schedule.interval');
  });
});

describe('checkScheduleChange', () => {
  const notStarted: FlowSchedule = { frequency: 'minute', interval: 15, startTime: NOW + 600, backfill: true };
  const started: FlowSchedule = { frequency: 'minute', interval: 15, startTime: NOW - 600, backfill: true };

  it('keeps the current start time and backfill when they are omitted', () => {
    assert.deepEqual(checkScheduleChange(started, { frequency: 'hour', interval: 1 }, NOW), { frequency: 'hour', interval: 1, startTime: NOW - 600, backfill: true });
  });

  it('moves the start time of a dataflow that has not started', () => {
    assert.equal(checkScheduleChange(notStarted, { frequency: 'minute', interval: 30, startTime: at(NOW + 1200) }, NOW).startTime, NOW + 1200);
  });

  it('refuses to move the start time once it has passed', () => {
    assert.equal(refusal(() => checkScheduleChange(started, { frequency: 'minute', interval: 15, startTime: at(NOW + 60) }, NOW)).field, 'input.schedule.startTime');
  });

  it('refuses a switch to ONCE after the start', () => {
    assert.equal(refusal(() => checkScheduleChange(started, { frequency: 'once' }, NOW)).field, 'input.schedule.frequency');
  });

  it('refuses a backfill change after the start, and allows it before', () => {
    assert.equal(refusal(() => checkScheduleChange(started, { frequency: 'minute', interval: 15, backfill: false }, NOW)).field, 'input.schedule.backfill');
    assert.equal(checkScheduleChange(notStarted, { frequency: 'minute', interval: 15, backfill: false }, NOW).backfill, false);
  });

  it('drops backfill when a dataflow that has not started switches to ONCE', () => {
    assert.deepEqual(checkScheduleChange(notStarted, { frequency: 'once' }, NOW), { frequency: 'once', interval: null, startTime: NOW + 600, backfill: null });
  });

  it('applies the interval rules to the new schedule', () => {
    assert.equal(refusal(() => checkScheduleChange(started, { frequency: 'minute', interval: 10 }, NOW)).field, 'input.schedule.interval');
  });
});

describe('sameSchedule', () => {
  it('treats an absent backfill and null alike, and any other difference as a change', () => {
    const a: FlowSchedule = { frequency: 'day', interval: 1, startTime: NOW, backfill: null };
    assert.equal(sameSchedule(a, { ...a }), true);
    assert.equal(sameSchedule(a, { ...a, interval: 2 }), false);
    assert.equal(sameSchedule(a, { ...a, backfill: false }), false);
  });
});

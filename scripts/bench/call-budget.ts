/**
 * AEP_MAX_CALLS_PER_SECOND for the throughput benchmark (`npm run bench`; `npm run bench:metrics` sets the same):
 * the configuration's maximum, far above what a run on one machine reaches. The call budget is a
 * policy an operator sets to their org's allowance of Platform calls, not Flowgate's speed; the
 * bare baseline has none, and with the default (100) the runs would measure the budget. Its cost
 * (the Redis round trips of every call) stays in the measurement.
 */
export const UNLIMITED_CALLS_PER_SECOND = '100000';

import type { Logger } from '../logging/logger.js';
import type { AuditArchive } from '../store/audit-archive.js';
import type { AuditSealer } from '../store/audit-sealer.js';
import type { AuditVacuum } from '../store/audit-vacuum.js';
import { startRepeatingPass, type RepeatingPass } from '../jobs/repeating-pass.js';

export interface AuditKeeperOptions {
  sealer: AuditSealer;
  archive: AuditArchive;
  logger: Logger;
  /** Milliseconds between two sealing passes: about the age of the unsealed tail. */
  sealIntervalMs: number;
  /** Months that ended more than this many days ago are detached to the archive; null keeps all. */
  retentionDays: number | null;
  /** Milliseconds between two housekeeping passes (partitions ahead, retention); default one hour. */
  housekeepingIntervalMs?: number;
  /** Marks the newest events visible to index-only scans (see AuditVacuum). */
  vacuum: AuditVacuum;
  /** Events this process sealed before it vacuums; default 10,000 (also once a minute if it sealed any). */
  vacuumAfterEvents?: number;
  /** Called with the number of events each pass linked (a metrics seam). */
  onSealed?: (events: number) => void;
}

const VACUUM_AT_LEAST_EVERY_MS = 60_000;

export type AuditKeeper = RepeatingPass;

/**
 * Keeps the audit trail in shape from every process that writes it (gateway and worker): seals
 * the committed events every `sealIntervalMs` (sealers in other processes skip while one holds the
 * head), vacuums the events it sealed once there are `vacuumAfterEvents` of them (or a minute
 * passed), creates the monthly partitions ahead of time, and detaches months past the retention
 * period. In-process timers rather than BullMQ jobs: the tail must stay under a second old even
 * while Redis is away, and the work is idempotent wherever it runs.
 */
export function startAuditKeeper(options: AuditKeeperOptions): AuditKeeper {
  const { sealer, archive, logger } = options;
  const housekeepingMs = options.housekeepingIntervalMs ?? 3_600_000;
  const vacuumAfterEvents = options.vacuumAfterEvents ?? 10_000;
  let lastHousekeeping = 0;
  // Events sealed by this process since it last vacuumed, and when that was.
  let unvacuumed = 0;
  let lastVacuum = Date.now();

  const pass = async (stopping: () => boolean) => {
    if (Date.now() - lastHousekeeping >= housekeepingMs) {
      lastHousekeeping = Date.now();
      await archive.ensurePartitions();
      // Events written with an older `at` (backfills), and the statistics of the months that changed.
      const analyzed = await options.vacuum.run({ analyze: true });
      if (analyzed.length > 0) logger.debug({ months: analyzed }, 'audit months analyzed');
      if (options.retentionDays !== null) {
        const archived = await archive.archiveExpired(options.retentionDays);
        if (archived.length > 0) logger.info({ months: archived }, 'audit months past the retention period detached to the archive');
      }
    }
    // Batches follow one another only while they come out full (a backlog). One that is not full
    // linked every event committed before it; what commits next waits for the next pass. Looping
    // until a batch came out empty kept the sealer running back to back under a steady stream of
    // writes (three writers: ≈ 200 batches a second), each reading the recent events again;
    // PostgreSQL's CPU per operation in `npm run bench` fell by ≈ 10 % without it.
    for (;;) {
      const sealed = await sealer.sealBatch();
      if (sealed === null) break;
      unvacuumed += sealed;
      if (sealed > 0) options.onSealed?.(sealed);
      if (stopping()) return;
      if (sealed < sealer.batchSize) break;
    }
    if (unvacuumed >= vacuumAfterEvents || (unvacuumed > 0 && Date.now() - lastVacuum >= VACUUM_AT_LEAST_EVERY_MS)) {
      await options.vacuum.run();
      unvacuumed = 0;
      lastVacuum = Date.now();
    }
  };
  return startRepeatingPass({
    intervalMs: options.sealIntervalMs,
    pass,
    onError: (error) => {
      // Retried on the next pass (PostgreSQL away, a partition being created by another process).
      logger.warn({ err: error.message }, 'audit sealing pass failed; trying again');
      lastHousekeeping = Math.min(lastHousekeeping, Date.now() - housekeepingMs + 60_000);
    },
  });
}

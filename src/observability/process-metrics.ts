import type { Registry } from 'prom-client';
import eventLoopLag from 'prom-client/lib/metrics/eventLoopLag';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed';
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal';
import processHandles from 'prom-client/lib/metrics/processHandles';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors';
import processRequests from 'prom-client/lib/metrics/processRequests';
import processResources from 'prom-client/lib/metrics/processResources';
import processStartTime from 'prom-client/lib/metrics/processStartTime';
import version from 'prom-client/lib/metrics/version';

/**
 * prom-client's default process metrics (CPU, memory, heap spaces, event loop lag, handles, file
 * descriptors, start time, Node version) — all but `nodejs_gc_duration_seconds`. Its
 * PerformanceObserver on every garbage collection cost 10–30 % more CPU per operation in
 * `npm run bench:metrics` (measured with and without it, same run); the heap series show memory
 * pressure without it.
 *
 * The event-loop delay is sampled every 100 ms (prom-client's default, 10 ms, wakes the process
 * 100 times a second: 2.2 ms of CPU per second per process, measured on an idle process, against
 * 0.5 ms at 100 ms). Between two scrapes 15 s apart that is still 150 samples, and a stall shows
 * in full in the one that waited for it.
 */
export function collectProcessMetrics(register: Registry): void {
  const config = { register, eventLoopMonitoringPrecision: 100 };
  for (const collect of [
    processCpuTotal,
    processStartTime,
    osMemoryHeap,
    processOpenFileDescriptors,
    processMaxFileDescriptors,
    eventLoopLag,
    processResources,
    processHandles,
    processRequests,
    heapSizeAndUsed,
    heapSpacesSizeAndUsed,
    version,
  ]) {
    collect(register, config);
  }
}

import { readFileSync } from 'node:fs';

/** CPU milliseconds (user + system) process `pid` has used so far; 0 once it is gone. Linux (/proc) only. */
export function processCpuMs(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
  const fields = stat.split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
}

/** CPU milliseconds of each process now, to subtract later (see `cpuSince`). */
export function cpuSnapshot(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, processCpuMs(pid)]));
}

/** CPU milliseconds these processes used since `before` (a process not in it counts from its start). */
export function cpuSince(before: Map<number, number>, pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid) - (before.get(pid) ?? 0), 0);
}

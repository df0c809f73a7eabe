import { readFileSync } from 'node:fs';

/**
 * CPU a process has used (user + system), in clock ticks of 1/100 s, from /proc/<pid>/stat (Linux,
 * same host). Null when the process is gone or not on this host. With `thread`, of that thread alone
 * (a process's main thread has the process's id).
 */
export function processCpuTicks(pid: number, thread?: number): number | null {
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  } catch {
    return null;
  }
}

/**
 * The machine's CPU time so far, in clock ticks, from /proc/stat's first line: all of it, and the
 * part a hypervisor gave to other guests while this one wanted it (steal). Null off Linux.
 */
export function hostCpuTicks(): { total: number; steal: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return null;
  }
}

/** The share of the machine's CPU time between two readings that went to other guests (steal), 0 to 1; NaN when unknown. */
export function stealShare(from: ReturnType<typeof hostCpuTicks>, to: ReturnType<typeof hostCpuTicks>): number {
  if (!from || !to || to.total <= from.total) return Number.NaN;
  return (to.steal - from.steal) / (to.total - from.total);
}

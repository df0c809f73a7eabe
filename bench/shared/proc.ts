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

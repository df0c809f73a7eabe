import { readFileSync } from 'node:fs';

/**
 * CPU a process has used (user + system), in clock ticks of 1/100 s, from /proc/<pid>/stat (Linux,
 * same host). Null when the process is gone or not on this host.
 */
export function processCpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the line)
  } catch {
    return null;
  }
}

/**
 * Ends a benchmark's process when its work does: the exit code it set (0 by default) on success, 1
 * with the error on stderr on failure. Benchmarks leave clients and sockets behind; exiting
 * explicitly means none of them keeps the process alive.
 */
export function runToExit(name: string, work: Promise<unknown>): void {
  work.then(
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}

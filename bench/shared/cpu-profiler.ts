import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

/**
 * V8's CPU profiler over part of a benchmark, through the inspector (not `--cpu-prof`, which covers
 * the whole process, setup included). `stop(file)` writes the profile, for Chrome DevTools or
 * `node dist/bench/profile/main.js <file>`.
 */
export async function startCpuProfiler(samplingIntervalUs = 200): Promise<{ stop: (file: string) => Promise<string> }> {
  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object): Promise<T> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await post('Profiler.start');
  return {
    stop: async (file) => {
      const { profile } = await post<{ profile: object }>('Profiler.stop');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

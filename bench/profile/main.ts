/**
 * Summarises a V8 CPU profile (`node --cpu-prof`, or `BENCH_PROFILE=1 npm run bench:ingest`): self
 * time by package (node_modules/<name>, our libs/apps, node internals, GC) and the top functions.
 * After `npm run build`: `node dist/bench/profile/main.js <file.cpuprofile> [--top 25]`.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  totalMs: number;
  byPackage: Array<{ name: string; ms: number; share: number }>;
  byFunction: Array<{ name: string; where: string; ms: number; share: number }>;
}

/** Where a frame's code lives: a dependency, our code by top folder, node's internals, or V8's pseudo-frames. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return `(${functionName || 'native'})`;
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  const ours = /\/dist\/((?:apps|libs|bench|tools)\/[^/]+)/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

export function summarise(profile: CpuProfile, top: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pkg = new Map<string, number>();
  const fn = new Map<string, { where: string; us: number }>();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id)!;
    const p = packageOf(callFrame.url, callFrame.functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
    const name = callFrame.functionName || '(anonymous)';
    const where = `${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}`;
    const key = `${name} ${where}`;
    fn.set(key, { where, us: (fn.get(key)?.us ?? 0) + us });
  }
  const share = (us: number): number => Number(((100 * us) / total).toFixed(1));
  return {
    totalMs: Math.round(total / 1000),
    byPackage: [...pkg].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: share(us) })),
    byFunction: [...fn].sort((a, b) => b[1].us - a[1].us).slice(0, top).map(([key, v]) => ({ name: key.split(' ')[0]!, where: v.where, ms: Math.round(v.us / 1000), share: share(v.us) })),
  };
}

if (require.main === module) {
  const program = new Command('bench-profile')
    .argument('<file>', 'a .cpuprofile')
    .option('--top <n>', 'rows per table', (v) => Number(v), 25)
    .parse();
  const summary = summarise(JSON.parse(readFileSync(program.args[0]!, 'utf8')) as CpuProfile, program.opts<{ top: number }>().top);
  const out = [`${summary.totalMs} ms sampled`, '', 'self time by package:', ...summary.byPackage.map((p) => `  ${String(p.share).padStart(5)}%  ${p.name}`), '', 'self time by function:', ...summary.byFunction.map((f) => `  ${String(f.share).padStart(5)}%  ${f.name}  ${f.where}`)];
  process.stdout.write(`${out.join('\n')}\n`);
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../tools/shared/project-root';

/** One measured figure beside the limit it is bounded by, measured in the same run. */
export interface BenchFigure {
  stage: string;
  metric: string;
  value: number;
  unit: string;
  target?: string;
  limit?: { name: string; value: number; unit: string };
  /** value / limit.value, when both are rates. */
  ratio?: number;
  notes?: string;
}

export interface BenchReport {
  title: string;
  date: string;
  machine: string;
  command: string;
  figures: BenchFigure[];
  details?: Record<string, unknown>;
}

export const today = (): string => new Date().toISOString().slice(0, 10);

export function machineDescription(): string {
  const os = require('node:os') as typeof import('node:os');
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function renderMarkdown(report: BenchReport): string {
  const rows = report.figures.map((f) =>
    [
      f.stage,
      f.metric,
      `${formatNumber(f.value)} ${f.unit}`,
      f.target ?? '',
      f.limit ? `${formatNumber(f.limit.value)} ${f.limit.unit} (${f.limit.name})` : '',
      f.ratio !== undefined ? `${(100 * f.ratio).toFixed(1)}%` : '',
      f.notes ?? '',
    ].join(' | '),
  );
  return [
    `# ${report.title}`,
    '',
    `- date: ${report.date}`,
    `- machine: ${report.machine}`,
    `- command: \`${report.command}\``,
    '',
    '| stage | metric | ours | target | limit (same run) | ratio | notes |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r} |`),
    '',
    ...(report.details ? ['```json', JSON.stringify(report.details, null, 2), '```', ''] : []),
  ].join('\n');
}

const formatNumber = (n: number): string => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** Writes bench/results/<name>.md and .json. */
export function writeReport(name: string, report: BenchReport): string {
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const md = join(dir, `${name}.md`);
  writeFileSync(md, renderMarkdown(report));
  return md;
}

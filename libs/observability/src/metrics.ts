import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry a process, exposed as GET /metrics in the Prometheus text format. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'revstream_' });

type Labels<L extends string> = readonly L[];

function existing<T>(name: string): T | undefined {
  return metricsRegistry.getSingleMetric(name) as T | undefined;
}

/** Get-or-create, so modules instantiated twice (tests, hybrid apps) share one metric. */
export function counter<L extends string>(name: string, help: string, labelNames: Labels<L>): Counter<L> {
  return existing<Counter<L>>(name) ?? new Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

export function gauge<L extends string>(name: string, help: string, labelNames: Labels<L>): Gauge<L> {
  return existing<Gauge<L>>(name) ?? new Gauge({ name, help, labelNames, registers: [metricsRegistry] });
}

export function histogram<L extends string>(name: string, help: string, labelNames: Labels<L>, buckets?: number[]): Histogram<L> {
  return (
    existing<Histogram<L>>(name) ??
    new Histogram({ name, help, labelNames, registers: [metricsRegistry], ...(buckets ? { buckets } : {}) })
  );
}

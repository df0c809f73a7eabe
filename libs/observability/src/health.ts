/** A dependency a process needs to be ready (Kafka, Postgres). */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

export interface HealthReport {
  status: 'ok' | 'error';
  live: true;
  ready: boolean;
  checks: Record<string, { status: 'up' | 'down'; error?: string }>;
}

export async function runChecks(checks: readonly ReadinessCheck[], timeoutMs = 2_000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        return [c.name, { status: 'up' as const }] as const;
      } catch (error) {
        return [c.name, { status: 'down' as const, error: error instanceof Error ? error.message : String(error) }] as const;
      }
    }),
  );
  const ready = results.every(([, r]) => r.status === 'up');
  return { status: ready ? 'ok' : 'error', live: true, ready, checks: Object.fromEntries(results) };
}

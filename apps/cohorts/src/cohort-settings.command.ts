import { randomUUID } from 'node:crypto';
import { type Command, InvalidArgumentError } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { type CohortSettingsChangedData, createEnvelope, type Envelope, Topics } from '@revstream/events';
import { createKafka, ensureTopics, EventPublisher } from '@revstream/kafka';
import { sqlClient } from '@revstream/persistence';
import { parseSettingsChange, SETTING_NAMES, SETTING_SPECS, type SettingName } from '@revstream/scoring';
import { createTenancyDataSource } from '@revstream/tenancy';

export const SETTINGS_PRODUCER = 'cli';

export class CohortSettingsError extends Error {
  override readonly name = 'CohortSettingsError';
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Publishes a tenant's cohort settings change to the catalog topic, where the cohorts app reads it
 * (in the log, so replays score with the same settings). Validates it first with the scorer's own
 * rules, and checks that the tenant exists.
 */
export async function publishCohortSettings(
  config: CommonConfig,
  tenantId: string,
  change: CohortSettingsChangedData,
  now: Date = new Date(),
): Promise<Envelope<'catalog.cohort_settings_changed'>> {
  const { problems } = parseSettingsChange(change);
  if (problems.length > 0) throw new CohortSettingsError(`invalid cohort settings:\n  - ${problems.join('\n  - ')}`);

  const tenancy = createTenancyDataSource(config.DATABASE_URL, 1);
  await tenancy.initialize();
  try {
    const found = await sqlClient(tenancy).query(`SELECT 1 FROM tenancy.tenants WHERE id = $1`, [tenantId]);
    if (found.length === 0) throw new CohortSettingsError(`no tenant ${tenantId}`);
  } finally {
    await tenancy.destroy();
  }

  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'revstream-cli' });
  const topics = new Topics(config.KAFKA_TOPIC_PREFIX);
  await ensureTopics(kafka, topics, { partitions: config.KAFKA_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 10_000, maxRecordsPerRequest: 1, compression: 'none' });
  const at = now.toISOString();
  const envelope = createEnvelope({
    eventId: randomUUID(),
    tenantId,
    type: 'catalog.cohort_settings_changed',
    receivedAt: at,
    occurredAt: at,
    customerId: null,
    producer: SETTINGS_PRODUCER,
    body: change,
  });
  try {
    await publisher.publish([envelope]);
  } finally {
    await publisher.disconnect();
  }
  return envelope;
}

function integer(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

/** `revstream cohorts settings --tenant <id> --silent-window-days 21 --reset lookback-days`. */
export function registerCohorts(program: Command): void {
  const cohorts = program.command('cohorts').description('the advisory cohorts: expansion-ready and silent-churn accounts (docs/cohorts.md)');
  const settings = cohorts
    .command('settings')
    .description("change a tenant's cohort thresholds; unnamed settings keep their value")
    .requiredOption('--tenant <id>', 'the tenant')
    .option('--reset <settings...>', `settings back to their default (${SETTING_NAMES.map(kebab).join(', ')})`);
  for (const name of SETTING_NAMES) {
    const spec = SETTING_SPECS[name];
    settings.option(`--${kebab(name)} <${spec.unit}>`, `${spec.min}-${spec.max}, default ${spec.default}`, integer);
  }
  settings.action(async (options: Record<string, unknown>) => {
    const change: Partial<Record<SettingName, number | null>> = {};
    for (const name of SETTING_NAMES) if (typeof options[name] === 'number') change[name] = options[name] as number;
    for (const raw of (options.reset as string[] | undefined) ?? []) {
      const name = camel(raw) as SettingName;
      if (!SETTING_NAMES.includes(name)) throw new CohortSettingsError(`--reset ${raw}: not a cohort setting (${SETTING_NAMES.map(kebab).join(', ')})`);
      change[name] = null;
    }
    const envelope = await publishCohortSettings(loadConfig(CommonConfig), options.tenant as string, change);
    process.stdout.write(`published ${JSON.stringify(envelope.body)} for tenant ${envelope.tenantId} (event ${envelope.eventId}); the cohorts app applies it from the log\n`);
  });
}

import 'reflect-metadata';
import { createEnvelope, encodeEnvelope } from '@revstream/events';
import { hashEmail } from '@revstream/tenancy';
import { revlintEventId } from '../../apps/gateway/src/ingest/revlint/ingest-revlint.use-case';
import { RevlintBatchDto } from '../../apps/gateway/src/ingest/revlint/revlint.dto';
import { hashEmailsInPlace } from '../../apps/gateway/src/ingest/shared/email-hashing';
import { findSecrets } from '../../apps/gateway/src/ingest/shared/secret-scanner';
import { validateBody } from '../../apps/gateway/src/ingest/shared/validate-body';
import { revlintBatches } from './workload';

/**
 * The gateway's per-event CPU, stage by stage, for Revenue Linter batches of 100 (no HTTP, no Kafka):
 * where to look when `npm run bench:ingest` falls short. After `npm run build`:
 * `node dist/bench/ingest/stages.js`.
 */
const bodies = revlintBatches(50, 100);

function time(name: string, stage: (raw: string) => void): void {
  for (let i = 0; i < 100; i++) stage(bodies[i % bodies.length]!);
  const started = process.hrtime.bigint();
  const rounds = 300;
  for (let i = 0; i < rounds; i++) stage(bodies[i % bodies.length]!);
  process.stdout.write(`${name.padEnd(34)} ${(Number(process.hrtime.bigint() - started) / 1000 / (rounds * 100)).toFixed(2)} µs/event\n`);
}

type Events = { events: Array<Record<string, unknown>> };
time('JSON.parse', (raw) => JSON.parse(raw));
time('+ secret scan', (raw) => findSecrets(JSON.parse(raw)));
time('+ DTO (class-validator, scan incl.)', (raw) => validateBody(RevlintBatchDto, JSON.parse(raw)));
time('+ email hashing', (raw) => (JSON.parse(raw) as Events).events.forEach((e) => hashEmailsInPlace(e, (m) => hashEmail('salt', m))));
time('+ event id', (raw) => (JSON.parse(raw) as Events).events.forEach((e) => revlintEventId('tn_x', e as never)));
time('+ envelope and encode', (raw) =>
  (JSON.parse(raw) as Events).events.forEach((e) =>
    encodeEnvelope(createEnvelope({ eventId: 'x', tenantId: 't', type: 'revlint.product_event', receivedAt: 'r', customerId: 'c', producer: 'gateway', body: e as never })),
  ),
);

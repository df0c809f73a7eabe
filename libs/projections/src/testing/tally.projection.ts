import { type DocumentProjection, type DomainEvent, PoisonEventError } from '@revstream/events';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { ReadModel, RenderedRows } from '../read-model';

/**
 * A small document projection used to test the adapter and the runner: per tenant and customer,
 * the total and count of Revnu usage, and an additive total per day. A value of 13 is refused, to
 * exercise dead-lettering of events that cannot be applied.
 */
export interface TallyState {
  tenantId: string;
  customerId: string;
  total: number;
  events: number;
  byDay: Record<string, number>;
}

type UsageEvent = DomainEvent<'revnu.usage'>;

export const tallyProjection: DocumentProjection<TallyState, UsageEvent> = {
  name: 'tally',
  version: 1,
  canHandle: ['revnu.usage'],
  initialState: () => ({ tenantId: '', customerId: '', total: 0, events: 0, byDay: {} }),
  keyOf: (event) => `${event.metadata.tenantId}|${event.data.stripeCustomerId}`,
  dedupKey: (event) => (event.metadata.idempotencyKey ? `idem:${event.metadata.idempotencyKey}` : `event:${event.metadata.eventId}`),
  evolve: (state, event) => {
    switch (event.type) {
      case 'revnu.usage': {
        if (event.data.value === 13) throw new PoisonEventError('invalid_body', 'value 13 is refused by the tally projection');
        const day = event.metadata.occurredAt.slice(0, 10);
        return {
          tenantId: event.metadata.tenantId,
          customerId: event.data.stripeCustomerId,
          total: state.total + event.data.value,
          events: state.events + 1,
          byDay: { ...state.byDay, [day]: (state.byDay[day] ?? 0) + event.data.value },
        };
      }
    }
  },
};

export const tallyReadModel: ReadModel<TallyState> = {
  tables: [
    {
      name: 'tallies',
      mode: 'replace',
      columns: { tenant_id: 'text', customer_id: 'text', total: 'bigint', events: 'integer' },
      primaryKey: ['tenant_id', 'customer_id'],
    },
    {
      name: 'tally_daily',
      mode: 'additive',
      columns: { tenant_id: 'text', day: 'date', total: 'bigint' },
      primaryKey: ['tenant_id', 'day'],
      additive: ['total'],
    },
  ],
  render: (_key, state): RenderedRows =>
    state.events === 0
      ? {}
      : {
          tallies: [{ tenant_id: state.tenantId, customer_id: state.customerId, total: state.total, events: state.events }],
          tally_daily: Object.keys(state.byDay)
            .sort()
            .map((day) => ({ tenant_id: state.tenantId, day, total: state.byDay[day]! })),
        },
};

export class TallyTables1763700000001 implements MigrationInterface {
  name = 'TallyTables1763700000001';
  async up(q: QueryRunner): Promise<void> {
    const s = `"${(q.connection.options as { schema: string }).schema}"`;
    await q.query(`CREATE TABLE ${s}.tallies (tenant_id text, customer_id text, total bigint NOT NULL, events integer NOT NULL, PRIMARY KEY (tenant_id, customer_id))`);
    await q.query(`CREATE TABLE ${s}.tally_daily (tenant_id text, day date, total bigint NOT NULL, PRIMARY KEY (tenant_id, day))`);
  }
  async down(q: QueryRunner): Promise<void> {
    const s = `"${(q.connection.options as { schema: string }).schema}"`;
    await q.query(`DROP TABLE ${s}.tally_daily`);
    await q.query(`DROP TABLE ${s}.tallies`);
  }
}

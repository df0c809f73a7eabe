import type { MigrationInterface, QueryRunner } from 'typeorm';

const schemaOf = (q: QueryRunner): string => `"${(q.connection.options as { schema: string }).schema.replace(/"/g, '""')}"`;

/**
 * The metering read models (docs/metering.md):
 *  - usage_ledger: every counted reading, one row per event and meter. Its primary key is the one
 *    dedup rule (tenant, customer, dedup key); it is also what periods are recomputed from.
 *  - usage: per tenant × customer × meter × billing period, every aggregate (sum, count, max,
 *    latest, first and last event time), for all events and for those that arrived before the
 *    period closed.
 *  - charges: per period, the meter's aggregation, the value, and the charge (null without a price).
 *  - adjustments: periods that received events after they closed: what was invoiced and what is owed.
 *  - meters, metering_elements: every meter, and every Revenium element, with when it was first seen.
 *  - meter_prices: the price definition each meter is rated with (last writer wins).
 *  - subscriptions: what defines customers' billing cycles.
 * Every key and tie-breaking text column is collated "C": Postgres orders it as the code does (by code
 * point), and compares it with memcmp rather than the locale's rules, which keeps the indexes cheap.
 * usage and charges are updated in place batch after batch: free space on their pages (fillfactor
 * 70) lets Postgres update them without touching their indexes (HOT updates).
 */
export class MeteringTables1763700003000 implements MigrationInterface {
  name = 'MeteringTables1763700003000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.usage_ledger (
        tenant_id    text COLLATE "C" NOT NULL,
        customer_id  text COLLATE "C" NOT NULL,
        dedup_key    text COLLATE "C" NOT NULL,
        meter        text COLLATE "C" NOT NULL,
        occurred_at  timestamptz NOT NULL,
        received_at  timestamptz NOT NULL,
        value        numeric     NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, dedup_key, meter)
      )`);
    await q.query(`
      CREATE TABLE ${s}.usage (
        tenant_id           text COLLATE "C" NOT NULL,
        customer_id         text COLLATE "C" NOT NULL,
        meter               text COLLATE "C" NOT NULL,
        period_start        timestamptz NOT NULL,
        period_end          timestamptz NOT NULL,
        kind                text        NOT NULL CHECK (kind IN ('counter', 'gauge')),
        event_count         bigint      NOT NULL,
        sum                 numeric     NOT NULL,
        max                 numeric     NOT NULL,
        latest              numeric     NOT NULL,
        latest_at           timestamptz NOT NULL,
        latest_key          text COLLATE "C" NOT NULL,
        first_event_at      timestamptz NOT NULL,
        last_event_at       timestamptz NOT NULL,
        on_time_count       bigint      NOT NULL,
        on_time_sum         numeric     NOT NULL,
        on_time_max         numeric,
        on_time_latest      numeric,
        on_time_latest_at   timestamptz,
        on_time_latest_key  text COLLATE "C",
        PRIMARY KEY (tenant_id, customer_id, meter, period_start)
      ) WITH (fillfactor = 70)`);
    await q.query(`CREATE INDEX usage_meter_idx ON ${s}.usage (tenant_id, meter)`);
    await q.query(`
      CREATE TABLE ${s}.charges (
        tenant_id     text COLLATE "C" NOT NULL,
        customer_id   text COLLATE "C" NOT NULL,
        meter         text COLLATE "C" NOT NULL,
        period_start  timestamptz NOT NULL,
        period_end    timestamptz NOT NULL,
        aggregation   text        NOT NULL CHECK (aggregation IN ('sum', 'count', 'max', 'latest')),
        value         numeric     NOT NULL,
        currency      text,
        amount        bigint,
        price_source  text,
        price_ref     text,
        PRIMARY KEY (tenant_id, customer_id, meter, period_start),
        CHECK ((currency IS NULL) = (amount IS NULL))
      ) WITH (fillfactor = 70)`);
    await q.query(`
      CREATE TABLE ${s}.adjustments (
        tenant_id        text COLLATE "C" NOT NULL,
        customer_id      text COLLATE "C" NOT NULL,
        meter            text COLLATE "C" NOT NULL,
        period_start     timestamptz NOT NULL,
        period_end       timestamptz NOT NULL,
        late_events      bigint      NOT NULL,
        invoiced_value   numeric     NOT NULL,
        value            numeric     NOT NULL,
        currency         text,
        invoiced_amount  bigint,
        amount           bigint,
        adjustment       bigint,
        PRIMARY KEY (tenant_id, customer_id, meter, period_start)
      )`);
    await q.query(`
      CREATE TABLE ${s}.meters (
        tenant_id      text COLLATE "C" NOT NULL,
        meter          text COLLATE "C" NOT NULL,
        source         text COLLATE "C" NOT NULL CHECK (source IN ('revnu', 'revenium', 'revlint')),
        kind           text        NOT NULL CHECK (kind IN ('counter', 'gauge')),
        first_seen_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, meter, source)
      )`);
    await q.query(`
      CREATE TABLE ${s}.metering_elements (
        tenant_id      text COLLATE "C" NOT NULL,
        source_id      text COLLATE "C" NOT NULL,
        element        text COLLATE "C" NOT NULL,
        first_seen_at  timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, source_id, element)
      )`);
    await q.query(`
      CREATE TABLE ${s}.meter_prices (
        tenant_id    text COLLATE "C" NOT NULL,
        meter        text COLLATE "C" NOT NULL,
        version      text COLLATE "C" NOT NULL,
        source       text COLLATE "C" NOT NULL CHECK (source IN ('revnu', 'valued')),
        ref          text NOT NULL,
        aggregation  text CHECK (aggregation IN ('sum', 'count', 'max', 'latest')),
        currency     text,
        terms        jsonb,
        problem      text,
        PRIMARY KEY (tenant_id, meter)
      )`);
    await q.query(`
      CREATE TABLE ${s}.subscriptions (
        tenant_id         text COLLATE "C" NOT NULL,
        customer_id       text COLLATE "C" NOT NULL,
        subscription_key  text COLLATE "C" NOT NULL,
        started_at        timestamptz,
        started_version   text COLLATE "C",
        ended_at          timestamptz,
        ended_version     text COLLATE "C",
        "interval"        text CHECK ("interval" IN ('day', 'week', 'month', 'year')),
        interval_count    integer,
        interval_version  text COLLATE "C",
        PRIMARY KEY (tenant_id, customer_id, subscription_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    for (const table of ['subscriptions', 'meter_prices', 'metering_elements', 'meters', 'adjustments', 'charges', 'usage', 'usage_ledger']) {
      await q.query(`DROP TABLE ${s}.${table}`);
    }
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

const schemaOf = (q: QueryRunner): string => `"${(q.connection.options as { schema: string }).schema.replace(/"/g, '""')}"`;

/**
 * The cohorts read models (cohorts.read-model.ts): memberships (history and current: exited_at is
 * null while an account is in a cohort), accounts and plans as the scorer sees them, and the
 * settings in effect per tenant.
 */
export class CohortsTables1763700004000 implements MigrationInterface {
  name = 'CohortsTables1763700004000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.memberships (
        tenant_id    text        NOT NULL,
        cohort       text        NOT NULL CHECK (cohort IN ('expansion_ready', 'silent_churn')),
        customer_id  text        NOT NULL,
        entered_at   timestamptz NOT NULL,
        exited_at    timestamptz CHECK (exited_at > entered_at),
        score        integer     NOT NULL,
        reasons      jsonb       NOT NULL,
        PRIMARY KEY (tenant_id, cohort, customer_id, entered_at)
      )`);
    await q.query(`CREATE INDEX memberships_current_idx ON ${s}.memberships (tenant_id, cohort, score DESC, customer_id) WHERE exited_at IS NULL`);
    await q.query(`
      CREATE TABLE ${s}.accounts (
        tenant_id               text        NOT NULL,
        customer_id             text        NOT NULL,
        paying                  boolean     NOT NULL,
        billing_status          text,
        plan                    text,
        currency                text,
        mrr                     bigint      NOT NULL,
        lower_tier              boolean     NOT NULL,
        last_activity_at        timestamptz,
        last_activity_event_id  text,
        active_hours            integer     NOT NULL,
        PRIMARY KEY (tenant_id, customer_id)
      )`);
    await q.query(`
      CREATE TABLE ${s}.plans (
        tenant_id      text    NOT NULL,
        currency       text    NOT NULL,
        plan           text    NOT NULL,
        name           text,
        monthly_price  bigint  NOT NULL,
        active         boolean NOT NULL,
        top            boolean NOT NULL,
        PRIMARY KEY (tenant_id, currency, plan)
      )`);
    await q.query(`
      CREATE TABLE ${s}.tenant_settings (
        tenant_id                    text        PRIMARY KEY,
        evaluated_at                 timestamptz,
        silent_window_days           integer     NOT NULL,
        lookback_days                integer     NOT NULL,
        limit_threshold_percent      integer     NOT NULL,
        high_usage_window_days       integer     NOT NULL,
        high_usage_percentile        integer     NOT NULL,
        high_usage_min_peers         integer     NOT NULL,
        high_usage_min_active_hours  integer     NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}.tenant_settings`);
    await q.query(`DROP TABLE ${s}.plans`);
    await q.query(`DROP TABLE ${s}.accounts`);
    await q.query(`DROP TABLE ${s}.memberships`);
  }
}

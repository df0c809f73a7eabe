import type { MigrationInterface, QueryRunner } from 'typeorm';

const schemaOf = (q: QueryRunner): string => `"${(q.connection.options as { schema: string }).schema.replace(/"/g, '""')}"`;

/**
 * The billing read models (rendered by apps/billing/src/billing.read-model.ts). Money is bigint minor
 * units with a currency column beside it. Runs in the schema of the DataSource that runs it.
 */
export class BillingReadModels1763700002000 implements MigrationInterface {
  name = 'BillingReadModels1763700002000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`
      CREATE TABLE ${s}.customers (
        tenant_id text NOT NULL, customer_id text NOT NULL, name text, email_hash text, stripe_customer_id text,
        first_event_at timestamptz NOT NULL, last_event_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, customer_id))`);
    await q.query(`
      CREATE TABLE ${s}.subscriptions (
        tenant_id text NOT NULL, customer_id text NOT NULL, subscription_key text NOT NULL, status text NOT NULL, currency text NOT NULL,
        mrr bigint NOT NULL, started_at timestamptz, current_period_start timestamptz, current_period_end timestamptz, trial_end timestamptz,
        canceled_at timestamptz, ended_at timestamptz, snapshot_at timestamptz NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, subscription_key))`);
    await q.query(`CREATE INDEX subscriptions_status_idx ON ${s}.subscriptions (tenant_id, status)`);
    await q.query(`
      CREATE TABLE ${s}.subscription_items (
        tenant_id text NOT NULL, customer_id text NOT NULL, subscription_key text NOT NULL, item_key text NOT NULL, quantity bigint NOT NULL,
        plan_key text, plan_name text, price_key text, price_name text, currency text NOT NULL, billing_scheme text NOT NULL, tiers_mode text,
        unit_amount bigint, tiers jsonb, "interval" text, interval_count integer, usage_type text NOT NULL, mrr bigint NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, subscription_key, item_key))`);
    await q.query(`
      CREATE TABLE ${s}.invoices (
        tenant_id text NOT NULL, customer_id text NOT NULL, invoice_key text NOT NULL, subscription_key text, status text NOT NULL,
        currency text NOT NULL, total bigint NOT NULL, subtotal bigint, discount bigint, tax bigint, finalized_at timestamptz, paid_at timestamptz,
        snapshot_at timestamptz NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, invoice_key))`);
    await q.query(`
      CREATE TABLE ${s}.invoice_items (
        tenant_id text NOT NULL, customer_id text NOT NULL, invoice_key text NOT NULL, item_key text NOT NULL, currency text NOT NULL,
        quantity bigint, amount bigint NOT NULL, amount_excluding_tax bigint, description text, proration boolean,
        period_start timestamptz, period_end timestamptz,
        PRIMARY KEY (tenant_id, customer_id, invoice_key, item_key))`);
    await q.query(`
      CREATE TABLE ${s}.mrr_movements (
        tenant_id text NOT NULL, customer_id text NOT NULL, currency text NOT NULL, occurred_at timestamptz NOT NULL,
        "type" text NOT NULL CHECK ("type" IN ('new', 'expansion', 'contraction', 'churn', 'reactivation')),
        "before" bigint NOT NULL, "after" bigint NOT NULL, delta bigint NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, customer_id, currency, occurred_at))`);
    await q.query(`CREATE INDEX mrr_movements_time_idx ON ${s}.mrr_movements (tenant_id, currency, occurred_at)`);
    await q.query(`
      CREATE TABLE ${s}.customer_mrr (
        tenant_id text NOT NULL, customer_id text NOT NULL, currency text NOT NULL, amount bigint NOT NULL, changed_at timestamptz,
        PRIMARY KEY (tenant_id, customer_id, currency))`);
    await q.query(`CREATE INDEX customer_mrr_currency_idx ON ${s}.customer_mrr (tenant_id, currency) INCLUDE (amount)`);
    await q.query(`
      CREATE TABLE ${s}.mrr_daily (
        tenant_id text NOT NULL, currency text NOT NULL, "day" date NOT NULL,
        new_mrr bigint NOT NULL, expansion_mrr bigint NOT NULL, contraction_mrr bigint NOT NULL, churn_mrr bigint NOT NULL,
        reactivation_mrr bigint NOT NULL, net_mrr bigint NOT NULL, movements bigint NOT NULL,
        PRIMARY KEY (tenant_id, currency, "day"))`);
    // MRR at the end of each day with a movement: the running sum of the daily net change.
    await q.query(`
      CREATE VIEW ${s}.mrr_per_day AS
        SELECT tenant_id, currency, "day", net_mrr,
               sum(net_mrr) OVER (PARTITION BY tenant_id, currency ORDER BY "day") AS mrr
          FROM ${s}.mrr_daily`);
    await q.query(`
      CREATE TABLE ${s}.plans (
        tenant_id text NOT NULL, plan_key text NOT NULL, name text, active boolean, synced_at timestamptz NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, plan_key))`);
    await q.query(`
      CREATE TABLE ${s}.prices (
        tenant_id text NOT NULL, price_key text NOT NULL, plan_key text, name text, active boolean, currency text NOT NULL,
        billing_scheme text NOT NULL, tiers_mode text, unit_amount bigint, tiers jsonb, "interval" text, interval_count integer,
        usage_type text NOT NULL, synced_at timestamptz NOT NULL, event_id text NOT NULL,
        PRIMARY KEY (tenant_id, price_key))`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q);
    await q.query(`DROP TABLE ${s}.prices`);
    await q.query(`DROP TABLE ${s}.plans`);
    await q.query(`DROP VIEW ${s}.mrr_per_day`);
    await q.query(`DROP TABLE ${s}.mrr_daily`);
    await q.query(`DROP TABLE ${s}.customer_mrr`);
    await q.query(`DROP TABLE ${s}.mrr_movements`);
    await q.query(`DROP TABLE ${s}.invoice_items`);
    await q.query(`DROP TABLE ${s}.invoices`);
    await q.query(`DROP TABLE ${s}.subscription_items`);
    await q.query(`DROP TABLE ${s}.subscriptions`);
    await q.query(`DROP TABLE ${s}.customers`);
  }
}

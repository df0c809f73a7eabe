import { type Command, InvalidArgumentError, Option } from 'commander';
import { CommonConfig, loadConfig } from '@revstream/config';
import { REVNU_BILLING_MODELS, type ProductRegisteredData, type RevnuBillingModel, Topics } from '@revstream/events';
import { createKafka, ensureTopics, EventPublisher } from '@revstream/kafka';
import { normalizeCurrency } from '@revstream/money';
import { registerProduct } from './register-product.use-case';
import { withTenancy } from './tenants.command';

const minorUnits = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number of minor units (999 for 9.99)');
  return n;
};

interface CreateOptions {
  tenant: string;
  product: string;
  model: RevnuBillingModel;
  event: string;
  currency: string;
  unitAmount?: number;
  flatAmount?: number;
  json?: boolean;
}

/** What each model needs: flat a flat amount, metered a unit amount, hybrid both. */
function missingPrices(o: CreateOptions): string | null {
  if (o.model !== 'metered' && o.flatAmount === undefined) return `a ${o.model} product needs --flat-amount`;
  if (o.model !== 'flat' && o.unitAmount === undefined) return `a ${o.model} product needs --unit-amount`;
  return null;
}

/**
 * `products create`: registers a Revnu product for a tenant. It writes tenancy.products (the gateway
 * checks usage reports against it) and publishes `catalog.product_registered` to the catalog topic
 * (the metering app prices usage from it). Running it again with the same product updates both.
 */
export function registerProducts(program: Command): void {
  const products = program.command('products').description('Revnu products (billing model, meter name, prices)');
  products
    .command('create')
    .description('register (or update) a Revnu product and publish it to the catalog topic')
    .requiredOption('--tenant <tenantId>', 'the tenant that sells it')
    .requiredOption('--product <productId>', 'the product id clients send as productId')
    .addOption(new Option('--model <model>', 'billing model').choices(REVNU_BILLING_MODELS as RevnuBillingModel[]).makeOptionMandatory())
    .requiredOption('--event <eventName>', 'the meter name usage is reported under (returned as eventName)')
    .option('--currency <code>', 'ISO 4217 currency', 'usd')
    .option('--unit-amount <minor units>', 'price per unit of usage, in minor units', minorUnits)
    .option('--flat-amount <minor units>', 'flat fee per period, in minor units', minorUnits)
    .option('--json', 'print the registered product as JSON only')
    .action(async (options: CreateOptions) => {
      const config = loadConfig(CommonConfig);
      const problem = missingPrices(options);
      if (problem !== null) throw new InvalidArgumentError(problem);
      const product: ProductRegisteredData = {
        productId: options.product,
        model: options.model,
        eventName: options.event,
        currency: normalizeCurrency(options.currency),
        unitAmount: options.unitAmount ?? null,
        flatAmount: options.flatAmount ?? null,
      };
      const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'revstream-cli' });
      const topics = new Topics(config.KAFKA_TOPIC_PREFIX);
      await ensureTopics(kafka, topics, { partitions: config.KAFKA_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
      const publisher = new EventPublisher(kafka, topics, { publishTimeoutMs: 15_000, maxRecordsPerRequest: 10, compression: 'none' });
      try {
        await withTenancy(config.DATABASE_URL, (repo) => registerProduct(repo, publisher, options.tenant, product));
      } finally {
        await publisher.disconnect().catch(() => undefined);
      }
      process.stdout.write(
        options.json
          ? `${JSON.stringify({ tenantId: options.tenant, ...product })}\n`
          : `product ${product.productId} registered for ${options.tenant}: ${product.model}, meter ${product.eventName}, ${product.currency}` +
              `${product.unitAmount !== null ? `, ${product.unitAmount} per unit` : ''}${product.flatAmount !== null ? `, ${product.flatAmount} flat` : ''} (minor units)\n`,
      );
    });
}

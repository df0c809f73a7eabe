import 'reflect-metadata';
import { loadConfig } from '@revstream/config';
import { startProjectionApp } from '@revstream/projections';
import { BillingConfig } from './billing.config';
import { BillingModule } from './billing.module';

async function main(): Promise<void> {
  const config = loadConfig(BillingConfig);
  await startProjectionApp(BillingModule.forRoot(config), config.BILLING_PORT, config.HOST);
}

main().catch((error: unknown) => {
  process.stderr.write(`billing failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

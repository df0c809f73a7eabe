import 'reflect-metadata';
import { loadConfig } from '@revstream/config';
import { startProjectionApp } from '@revstream/projections';
import { IdentityConfig } from './identity.config';
import { IdentityModule } from './identity.module';

/**
 * The gateway's identity worker. The gateway can run its customer-identity projection in-process
 * (IDENTITY_PROJECTION=on, the default, for a single process), or leave it to this worker
 * (IDENTITY_PROJECTION=off), so the HTTP edge spends its CPU on ingest only. `npm start` and
 * docker-compose run it this way. Both forms use the same consumer group, so they can be mixed.
 */
async function main(): Promise<void> {
  const config = loadConfig(IdentityConfig);
  await startProjectionApp(IdentityModule.forRoot(config), config.IDENTITY_PORT, config.HOST);
}

main().catch((error: unknown) => {
  process.stderr.write(`identity worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

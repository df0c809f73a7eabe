import 'reflect-metadata';
import { loadConfig } from '@revstream/config';
import { startProjectionApp } from '@revstream/projections';
import { CohortsConfig } from './cohorts.config';
import { CohortsModule } from './cohorts.module';

async function main(): Promise<void> {
  const config = loadConfig(CohortsConfig);
  await startProjectionApp(CohortsModule.forRoot(config), config.COHORTS_PORT, config.HOST);
}

main().catch((error: unknown) => {
  process.stderr.write(`cohorts failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import 'reflect-metadata';
import { loadConfig } from '@revstream/config';
import { startProjectionApp } from '@revstream/projections';
import { MeteringConfig } from './metering.config';
import { MeteringModule } from './metering.module';

async function main(): Promise<void> {
  const config = loadConfig(MeteringConfig);
  await startProjectionApp(MeteringModule.forRoot(config), config.METERING_PORT, config.HOST);
}

main().catch((error: unknown) => {
  process.stderr.write(`metering failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

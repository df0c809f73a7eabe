import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { loadConfig } from '@revstream/config';
import { Topics } from '@revstream/events';
import { ensureTopics, KAFKA } from '@revstream/kafka';
import { GatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';

export async function createGatewayApp(config: GatewayConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), new FastifyAdapter({ bodyLimit: 1024 * 1024 }), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  await ensureTopics(app.get(KAFKA), app.get(Topics), { partitions: config.KAFKA_PARTITIONS, replicationFactor: config.KAFKA_REPLICATION_FACTOR });
  return app;
}

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  const app = await createGatewayApp(config);
  await app.listen(config.PORT, config.HOST);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

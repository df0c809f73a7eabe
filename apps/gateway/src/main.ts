import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { loadConfig } from '@revstream/config';
import type { Logger } from '@revstream/observability';
import { connectProjections, PROJECTION_LOGGER } from '@revstream/projections';
import { GatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { installIngestHttp } from './ingest/shared/ingest-http';
import { KafkaBootstrap } from './kafka-bootstrap';

/** Request bodies above this are refused with 413. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function createGatewayApp(config: GatewayConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), new FastifyAdapter({ bodyLimit: BODY_LIMIT_BYTES }), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  installIngestHttp(app, app.get<Logger>(PROJECTION_LOGGER));
  // The identity projection runs beside the HTTP API, as consumer apps run theirs (ProjectionTransport).
  connectProjections(app);
  await app.get(KafkaBootstrap).start(async () => {
    await app.startAllMicroservices();
  });
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

import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { ProjectionTransport } from './projection.transport';

/**
 * Boots a consumer app: the projection runners (as a Nest microservice with the ProjectionTransport)
 * and a small HTTP listener for /health and /metrics. SIGTERM/SIGINT stop both cleanly.
 */
export async function startProjectionApp(rootModule: Type | DynamicModule, port: number, host: string): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, new FastifyAdapter(), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  app.connectMicroservice({ strategy: app.get(ProjectionTransport) }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(port, host);
  return app;
}

import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
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
  connectProjections(app);
  await app.startAllMicroservices();
  await app.listen(port, host);
  return app;
}

/**
 * Connects the app's ProjectionTransport (its runners) as a Nest microservice; `startAllMicroservices()`
 * then starts them and app shutdown stops them. Used by startProjectionApp, and by the gateway, which
 * runs a projection beside its HTTP API.
 */
export function connectProjections(app: INestApplication): void {
  app.connectMicroservice({ strategy: app.get(ProjectionTransport) }, { inheritAppConfig: true });
}

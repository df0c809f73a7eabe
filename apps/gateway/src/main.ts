import 'reflect-metadata';
import cluster from 'node:cluster';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';
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

/**
 * GATEWAY_WORKERS > 1: the primary forks that many workers, which share the listening port
 * (node:cluster), holds the rate limits they share, and stops them on SIGTERM/SIGINT. A worker that
 * dies takes the gateway down, so whatever supervises it (compose, Kubernetes) restarts it whole.
 */
function superviseWorkers(workers: number): void {
  new RateLimiterClusterMaster();
  for (let i = 0; i < workers; i++) cluster.fork(i === 0 ? {} : { IDENTITY_PROJECTION: 'off' });
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      process.stderr.write(`gateway worker ${worker.process.pid} exited with ${code}; stopping the gateway\n`);
      stop();
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(stopping && code === 0 ? 0 : 1);
  });
}

async function main(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  if (config.GATEWAY_WORKERS > 1 && cluster.isPrimary) {
    superviseWorkers(config.GATEWAY_WORKERS);
    return;
  }
  const app = await createGatewayApp(config);
  await app.listen(config.PORT, config.HOST);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

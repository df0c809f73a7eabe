import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { loadConfig } from '@revstream/config';
import { ApiConfig } from './api.config';
import { ApiModule } from './api.module';
import { ProblemDetailsFilter } from './shared/problem-details.filter';

export async function createApiApp(config: ApiConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), new FastifyAdapter(), { bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(PinoNestLogger));
  app.enableShutdownHooks();
  app.useGlobalFilters(new ProblemDetailsFilter());
  const openApi = new DocumentBuilder()
    .setTitle('Revstream query API')
    .setDescription('Read models: MRR and its movements, customers, usage and charges, cohorts, dead letters. Authenticate with a tenant read token.')
    .setVersion('1')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApi), { jsonDocumentUrl: 'docs-json' });
  return app;
}

async function main(): Promise<void> {
  const config = loadConfig(ApiConfig);
  const app = await createApiApp(config);
  await app.listen(config.API_PORT, config.HOST);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

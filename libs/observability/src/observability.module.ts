import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { HealthController, READINESS_CHECKS } from './health.controller';
import type { ReadinessCheck } from './health';
import { MetricsController } from './metrics.controller';

export interface ObservabilityModuleOptions {
  /** Modules that export the check providers. */
  imports?: NonNullable<DynamicModule['imports']>;
  /** Providers (tokens) that resolve to ReadinessCheck instances. */
  checks: Array<string | symbol | (abstract new (...args: never[]) => ReadinessCheck)>;
  /** The app's pino logger; Nest's own logs go through it (use `app.useLogger(app.get(PinoLogger))`). */
  logger: Logger;
  /** One log line per HTTP request. Off by default: /metrics counts requests. */
  httpRequestLogs?: boolean;
}

/** /health, /metrics and structured JSON logs for an app. */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityModuleOptions): DynamicModule {
    const checksProvider: Provider = {
      provide: READINESS_CHECKS,
      useFactory: (...checks: ReadinessCheck[]) => checks,
      inject: options.checks,
    };
    return { module: ObservabilityModule, imports: [
        ...(options.imports ?? []),
        LoggerModule.forRoot({ pinoHttp: { logger: options.logger, autoLogging: options.httpRequestLogs ?? false, quietReqLogger: true } }),
      ],
      controllers: [HealthController, MetricsController], providers: [checksProvider] };
  }
}

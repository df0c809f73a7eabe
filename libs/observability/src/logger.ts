import pino, { type Logger } from 'pino';
import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';

export type { Logger } from 'pino';

/** Structured JSON logs, one object a line, on stdout. */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { app: name, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-token"]', 'req.headers["x-api-key"]', '*.token'], censor: '[redacted]' },
  });
}

/** Routes kafkajs's own logs into pino, at matching levels. */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () => ({ level, log }) => {
    const { message, ...extra } = log;
    const child = { kafkajs: extra.logger ?? 'kafkajs', ...extra };
    switch (level) {
      case KafkaLogLevel.ERROR:
        logger.error(child, message);
        break;
      case KafkaLogLevel.WARN:
        logger.warn(child, message);
        break;
      case KafkaLogLevel.INFO:
        logger.debug(child, message);
        break;
      default:
        logger.trace(child, message);
    }
  };
}

import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../logger.ts';

/**
 * Routes kafkajs' own logs into the process's pino logger (instead of kafkajs'
 * console JSON), tagged with kafkajs' namespace (Consumer, Runner, Connection, ...).
 * Pair with `logLevel: kafkaLogLevel(log)` on the Kafka client.
 */
export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _ts, logger: _logger, ...extra } = entry;
      const fields = { kafkajs: namespace, ...extra };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          log.error(fields, message);
          break;
        case logLevel.WARN:
          log.warn(fields, message);
          break;
        case logLevel.INFO:
          log.info(fields, message);
          break;
        default:
          log.debug(fields, message);
      }
    };
}

/** kafkajs level for a pino logger: warn+ by default, more only when pino asks for it. */
export function kafkaLogLevel(log: Logger): logLevel {
  switch (log.level) {
    case 'debug':
    case 'trace':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.WARN; // kafkajs info is chatty (every join, every stop)
    case 'silent':
      return logLevel.NOTHING;
    default:
      return logLevel.WARN;
  }
}

import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino replaces with "[redacted]": credentials in config objects, and the API-key
 * headers of requests (`{ req }` as fastify logs it, or a bare `{ headers }`).
 */
export const REDACT_PATHS = [
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.webhookUrl',
  'password',
  // The Config's own secret keys (services/core/config.ts), so a logged config object is safe too.
  'CLICKHOUSE_PASSWORD',
  'CLICKHOUSE_SERVICE_PASSWORD',
  '*.CLICKHOUSE_PASSWORD',
  '*.CLICKHOUSE_SERVICE_PASSWORD',
  'headers.authorization',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
];

/** The one root logger of a process; components get `log.child({ component })`. */
export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  const settings: LoggerOptions = {
    name: options.name ?? 'llm-pipeline',
    level: options.level ?? 'info',
    // Never log secrets even if a caller passes a whole config object or a request.
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

/** A silent logger for tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

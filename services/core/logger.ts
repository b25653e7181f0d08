import { pino, type Logger } from 'pino';

export type { Logger };

/** The one root logger of a process; components get `log.child({ component })`. */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'llm-pipeline',
    level: options.level ?? 'info',
    // Never log secrets even if a caller passes a whole config object.
    redact: { paths: ['*.password', '*.apiKey', '*.api_key', '*.webhookUrl', 'password'], censor: '[redacted]' },
  });
}

/** A silent logger for tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

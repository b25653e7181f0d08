import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './logger.ts';

/**
 * A node-cron job that never overlaps itself, does not warn about missed runs (a busy
 * event loop is normal under load) and logs through pino. `expression` may carry a
 * seconds field.
 */
export function scheduleCron(expression: string, name: string, run: () => Promise<void> | void, log: Logger): ScheduledTask {
  return cron.schedule(expression, run, {
    name,
    noOverlap: true,
    suppressMissedWarning: true,
    logger: {
      info: (m) => log.debug({ cron: name }, m),
      warn: (m) => log.warn({ cron: name }, m),
      error: (m, err) => log.error({ cron: name, err: err ?? m }, `${name} failed`),
      debug: () => {},
    },
  });
}

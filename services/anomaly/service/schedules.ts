import type { ScheduledTask } from 'node-cron';
import type { Logger } from '../../core/logger.ts';
import { scheduleCron } from '../../core/schedule.ts';
import type { Store } from '../../core/store/store.ts';
import type { AlertsFile } from '../config/alerts-file.ts';
import { buildDigest, type Digest } from '../digest.ts';
import { readDigestInput } from '../digest-data.ts';
import type { Notifier } from '../notify/notifier.ts';

/**
 * What the service does by the clock: the tick (closing minutes, budgets) and the daily
 * digest to ALERTS_FILE digest.receivers.
 */

/** One digest id per consumer group and UTC hour: a restart or a second replica does not send it twice. */
export function digestId(group: string, at: number): string {
  return `digest-${group}-${new Date(at).toISOString().slice(0, 13)}`;
}

/** Builds the digest of the last day from the store and hands it to the notifier (if any). */
export async function sendDigest(deps: { store: Store; file: AlertsFile; notifier: Pick<Notifier, 'notifyDigest'> | null; group: string; now: () => number }): Promise<Digest> {
  const digest = buildDigest(await readDigestInput(deps.store, deps.file, deps.now()));
  await deps.notifier?.notifyDigest(digest.text, digest.blocks, { id: digestId(deps.group, deps.now()) });
  return digest;
}

/**
 * The tick cron (default every 5 s) and, when there are a notifier and digest receivers,
 * the digest cron. `tickCron` null: no crons at all, only explicit `tick()` calls (tests).
 */
export function scheduleServiceCrons(
  opts: { tickCron?: string | null; group: string; digest: AlertsFile['digest']; notifies: boolean; log: Logger },
  run: { tick: () => Promise<void>; sendDigest: () => Promise<unknown> },
): ScheduledTask[] {
  const tasks: ScheduledTask[] = [];
  if (opts.tickCron === null) return tasks;
  tasks.push(scheduleCron(opts.tickCron ?? '*/5 * * * * *', `anomaly-tick-${opts.group}`, () => run.tick(), opts.log));
  if (opts.notifies && opts.digest.receivers.length > 0) tasks.push(scheduleCron(opts.digest.cron, `anomaly-digest-${opts.group}`, async () => void (await run.sendDigest()), opts.log));
  return tasks;
}

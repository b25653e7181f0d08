import type { Logger } from '../../core/logger.ts';
import type { Store } from '../../core/store/store.ts';
import type { AlertSink, StoredAlert } from '../alert-sink.ts';
import type { AlertsFile } from '../config/alerts-file.ts';
import { groupAlertEvents } from '../engine/grouping.ts';
import { writeProgress } from '../store/progress.ts';
import type { Notifier } from '../notify/notifier.ts';
import { listSilences } from '../../core/alerts/silence-queries.ts';
import { silenceMatches, type Silence } from '../../core/alerts/silences.ts';
import type { AlertEvent } from '../types.ts';
import type { ServiceCounters } from './counters.ts';

/**
 * Where judged alert changes go: stored (`alerts`) and published through the sink with
 * their silence, the audible ones grouped and handed to the notifier; a judged minute is
 * recorded in `anomaly_progress` only once all of that is done. Minutes whose changes
 * are not through yet stay queued, in order, for the next try.
 */
export interface AlertDelivery {
  /** Queues the alert changes of a judged minute. */
  queue(minute: number, events: AlertEvent[]): void;
  /** Delivers the queued minutes in order and records each as judged; stops at the first failure (the rest stays queued). */
  persist(): Promise<void>;
  /** Delivers alert changes that belong to no judged minute (budgets), with the silences of the last persist. */
  deliver(events: AlertEvent[]): Promise<void>;
  /** Judged minutes not yet delivered and recorded. */
  pending(): number;
}

export interface AlertDeliveryDeps {
  store: Store;
  sink: AlertSink;
  notifier: Pick<Notifier, 'notify'> | null;
  /** The consumer group, under which progress is recorded. */
  group: string;
  file: Pick<AlertsFile, 'group_min_features'>;
  counters: ServiceCounters;
  log: Logger;
  now: () => number;
}

/** Each event with the first silence that matches it, if any. */
export function withSilences(events: readonly AlertEvent[], silences: readonly Silence[]): StoredAlert[] {
  return events.map((e) => {
    const silence = silences.find((s) => silenceMatches(s, e.key, e.at));
    return { ...e, silenced: silence !== undefined, silence_id: silence?.silence_id ?? null };
  });
}

export function createAlertDelivery(deps: AlertDeliveryDeps): AlertDelivery {
  const { counters, log } = deps;
  /** Judged minutes whose alerts are not yet stored/notified/recorded (retried each tick). */
  const unpersisted: { minute: number; events: AlertEvent[] }[] = [];
  let silences: Silence[] = [];

  async function deliver(events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    const stored = withSilences(events, silences);
    await deps.sink.record(stored);
    counters.alert_changes += stored.length;
    const audible = stored.filter((e) => !e.silenced);
    counters.silenced += stored.length - audible.length;
    for (const e of stored) log.info({ alert: e.key, state: e.state, previous: e.previous, value: e.value, expected: e.expected, silenced: e.silenced, covered_by: e.covered_by ?? undefined }, `alert ${e.state}: ${e.summary}`);
    const groups = groupAlertEvents(audible, deps.file.group_min_features);
    if (groups.length > 0 && deps.notifier) {
      await deps.notifier.notify(groups);
      counters.notified_groups += groups.length;
    }
  }

  return {
    queue(minute, events) {
      unpersisted.push({ minute, events });
    },
    async persist() {
      if (unpersisted.length === 0) return;
      silences = await listSilences(deps.store, { activeAt: deps.now() });
      while (unpersisted.length > 0) {
        const { minute, events } = unpersisted[0];
        await deliver(events);
        await writeProgress(deps.store, deps.group, minute);
        unpersisted.shift();
      }
    },
    deliver,
    pending: () => unpersisted.length,
  };
}

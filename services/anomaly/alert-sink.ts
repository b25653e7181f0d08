import type { EventBus } from '../core/bus/event-bus.ts';
import type { Store } from '../core/store/store.ts';
import { insertAlerts } from './store/alert-writes.ts';
import { alertKeyString, type AlertEvent } from './types.ts';

/**
 * Where every alert state change goes: the `alerts` table (store/alert-writes.ts) and,
 * when a bus topic is given, `llm.alerts` as JSON keyed by the alert key (one partition
 * per alert, so its changes stay in order). The embedded pipeline has no outside
 * consumer for the topic, so it stores only.
 */
export interface StoredAlert extends AlertEvent {
  silenced: boolean;
  silence_id: string | null;
}

export interface AlertSink {
  record(events: readonly StoredAlert[]): Promise<void>;
}

export function createAlertSink(deps: { store: Store; bus?: EventBus; topic?: string }): AlertSink {
  return {
    async record(events) {
      if (events.length === 0) return;
      await insertAlerts(deps.store, events);
      if (deps.bus && deps.topic) {
        await deps.bus.publish(
          deps.topic,
          events.map((e) => ({ key: alertKeyString(e.key), value: Buffer.from(JSON.stringify(e)), headers: { 'content-type': 'application/json', 'alert-state': e.state } })),
        );
      }
    },
  };
}

import { createHash } from 'node:crypto';
import type { EventBus } from '../core/bus/event-bus.ts';
import type { Store } from '../core/store/store.ts';
import { alertKeyString, type AlertEvent } from './types.ts';

/**
 * Where every alert state change goes: the `alerts` table (insert deduplicated by the
 * changes' alert_ids, so a minute judged again stores nothing twice) and, when a bus
 * topic is given, `llm.alerts` as JSON keyed by the alert key (one partition per alert,
 * so its changes stay in order). The embedded pipeline has no outside consumer for the
 * topic, so it stores only.
 */
export interface StoredAlert extends AlertEvent {
  silenced: boolean;
  silence_id: string | null;
}

export interface AlertSink {
  record(events: readonly StoredAlert[]): Promise<void>;
}

export function alertRow(e: StoredAlert): Record<string, unknown> {
  return {
    alert_id: e.alert_id,
    rule: e.key.rule,
    metric: e.key.metric,
    feature: e.key.feature,
    model: e.key.model,
    state: e.state,
    previous: e.previous ?? '',
    at: e.at,
    started_at: e.started_at,
    severity: e.severity,
    direction: e.direction,
    value: e.value !== null && Number.isFinite(e.value) ? e.value : null,
    expected: e.expected !== null && Number.isFinite(e.expected) ? e.expected : null,
    score: Number.isFinite(e.score) ? e.score : 0,
    deviation: e.deviation,
    summary: e.summary,
    detector: e.detector,
    prompt_version: e.prompt_version ?? '',
    recent: e.recent.map((v) => (v !== null && Number.isFinite(v) ? v : null)),
    covered_by: e.covered_by ?? '',
    silenced: e.silenced ? 1 : 0,
    silence_id: e.silence_id ?? '',
  };
}

export function createAlertSink(deps: { store: Store; bus?: EventBus; topic?: string }): AlertSink {
  return {
    async record(events) {
      if (events.length === 0) return;
      const token = createHash('sha256').update(events.map((e) => e.alert_id).join(',')).digest('hex').slice(0, 40);
      await deps.store.insert('alerts', events.map(alertRow), { dedupToken: `alerts-${token}` });
      if (deps.bus && deps.topic) {
        await deps.bus.publish(
          deps.topic,
          events.map((e) => ({ key: alertKeyString(e.key), value: Buffer.from(JSON.stringify(e)), headers: { 'content-type': 'application/json', 'alert-state': e.state } })),
        );
      }
    },
  };
}

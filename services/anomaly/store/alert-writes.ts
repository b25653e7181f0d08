import { createHash } from 'node:crypto';
import type { Store } from '../../core/store/store.ts';
import type { StoredAlert } from '../alert-sink.ts';

/**
 * The `alerts` table's writes: one row per state change. The insert is deduplicated by
 * the changes' alert_ids, so a minute judged again stores nothing twice. null becomes ''
 * in the String columns, and values JSON cannot carry (NaN, ±Infinity) null or 0.
 */
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

export async function insertAlerts(store: Store, events: readonly StoredAlert[]): Promise<void> {
  const token = createHash('sha256').update(events.map((e) => e.alert_id).join(',')).digest('hex').slice(0, 40);
  await store.insert('alerts', events.map(alertRow), { dedupToken: `alerts-${token}` });
}

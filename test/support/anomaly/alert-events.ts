import type { AlertEvent, AlertGroup, AlertKey, AlertState } from '../../../services/anomaly/types.ts';

/** Alert events and groups for the notify tests; every field overridable. */
export const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);

export function alertEvent(over: Omit<Partial<AlertEvent>, 'key'> & { key?: Partial<AlertKey> } = {}): AlertEvent {
  const key: AlertKey = { rule: 'anomaly', metric: 'cost_usd', feature: 'checkout', model: 'gpt-4o', ...over.key };
  const state: AlertState = over.state ?? 'firing';
  return {
    alert_id: `${key.rule}|${key.metric}|${key.feature}|${key.model}|${state}|${over.at ?? T0 + 20 * 60_000}`,
    state,
    previous: 'pending',
    at: T0 + 20 * 60_000,
    started_at: T0,
    severity: 'critical',
    direction: 'up',
    value: 12.5,
    expected: 3.1,
    score: 0.97,
    deviation: '6.1 MADs above',
    recent: Array.from({ length: 60 }, (_, i) => (i < 50 ? 3 + (i % 3) * 0.1 : 12 + (i - 50) * 0.1)),
    prompt_version: 'v7',
    detector: 'mad',
    summary: 'cost_usd for checkout on gpt-4o is 4x its usual level',
    covered_by: null,
    ...over,
    key,
  };
}

export function alertGroup(events: AlertEvent[], over: Partial<AlertGroup> = {}): AlertGroup {
  const first = events[0];
  return {
    group_id: over.group_id ?? `g-${first.alert_id}`,
    common: over.common ?? { metric: first.key.metric, state: first.state },
    events,
  };
}

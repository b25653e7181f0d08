import { createHash } from 'node:crypto';
import { ALL, type AlertEvent, type AlertGroup } from '../types.ts';
import { isNotifiable } from '../notify/notifiable.ts';

/**
 * Which events make a notification, and how they are bundled.
 *
 * Notifiable (`isNotifiable`, one rule shared with the notifier): 'firing' events (first
 * firing and repeat reminders) and 'resolved' events of alerts that were firing
 * (previous = 'firing'), unless `covered_by` is set. Never: 'pending' events, resolves of
 * alerts that only were pending, covered events (their coverer speaks for them).
 *
 * Bundling, for the events of one judged minute:
 *  1. events sharing rule + metric + state + model (a real model, not '*') across at
 *     least `minFeatures` distinct features become one group — one provider outage across
 *     twenty features is one message listing them;
 *  2. of the rest, events sharing rule + metric + state across at least `minFeatures`
 *     features become one group (a platform-wide problem on several models);
 *  3. every other event is a group of its own.
 * `group_id` is a hash of the sorted member alert ids: the same events always make the
 * same id, so a retried notification is recognised as the same message.
 */
export { isNotifiable };

export function groupId(events: readonly AlertEvent[]): string {
  const ids = events.map((e) => e.alert_id).sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 32);
}

function bundle(events: AlertEvent[], keyOf: (e: AlertEvent) => string | null, minFeatures: number): { groups: AlertEvent[][]; rest: AlertEvent[] } {
  const byKey = new Map<string, AlertEvent[]>();
  const rest: AlertEvent[] = [];
  for (const e of events) {
    const k = keyOf(e);
    if (k === null) rest.push(e);
    else {
      const list = byKey.get(k);
      if (list) list.push(e);
      else byKey.set(k, [e]);
    }
  }
  const groups: AlertEvent[][] = [];
  for (const list of byKey.values()) {
    const features = new Set(list.filter((e) => e.key.feature !== ALL).map((e) => e.key.feature));
    if (features.size >= minFeatures) groups.push(list);
    else rest.push(...list);
  }
  return { groups, rest };
}

/** Pure: the notifiable events of one closed minute, bundled into messages (see the module comment). */
export function groupAlertEvents(events: readonly AlertEvent[], minFeatures: number): AlertGroup[] {
  const audible = events.filter(isNotifiable);
  const byModel = bundle(audible, (e) => (e.key.model === ALL ? null : [e.key.rule, e.key.metric, e.state, e.key.model].join('|')), minFeatures);
  const byMetric = bundle(byModel.rest, (e) => [e.key.rule, e.key.metric, e.state].join('|'), minFeatures);
  const groups: AlertGroup[] = [];
  for (const list of byModel.groups) groups.push({ group_id: groupId(list), common: { rule: list[0].key.rule, metric: list[0].key.metric, model: list[0].key.model, state: list[0].state }, events: list });
  for (const list of byMetric.groups) groups.push({ group_id: groupId(list), common: { rule: list[0].key.rule, metric: list[0].key.metric, state: list[0].state }, events: list });
  // singles, in their original order
  const order = new Map(audible.map((e, i) => [e, i]));
  for (const e of byMetric.rest.sort((a, b) => order.get(a)! - order.get(b)!)) groups.push({ group_id: groupId([e]), common: { ...e.key, state: e.state }, events: [e] });
  return groups;
}

import { createHash } from 'node:crypto';
import { alertKeyString, type AlertEvent, type AlertKey, type AlertState } from '../types.ts';

/**
 * The one alert state machine, shared by learned detectors and static rules.
 *
 * A rule judges a condition each time it runs ('ok' | 'pending' | 'firing'; k-of-n and
 * clean-period logic live in the rule) and hands it here; this turns condition changes
 * into AlertEvents keyed by (rule, metric, feature, model):
 *
 *   (none|resolved) --pending--> pending --firing--> firing --ok--> resolved
 *   (none|resolved) --firing--> firing          pending --ok--> resolved (never fired)
 *   firing --firing, repeat interval elapsed--> firing (a reminder: previous = 'firing')
 *
 * `alert_id` is a hash of (key, started_at, state, at), so judging the same minute again
 * after a restart yields the same id: storage and the outbox drop the repeat.
 */
export type Condition = 'ok' | 'pending' | 'firing';

export type AlertDetails = Omit<AlertEvent, 'alert_id' | 'key' | 'state' | 'previous' | 'at' | 'started_at'>;

interface Open {
  key: AlertKey;
  state: 'pending' | 'firing';
  startedAt: number;
  /** When the last firing event (first or reminder) was emitted. */
  lastFiringAt: number;
}

export interface AlertLifecycle {
  observe(key: AlertKey, condition: Condition, at: number, details: AlertDetails): AlertEvent | null;
  /** Re-open alerts from stored events (latest per key wins), without emitting anything. */
  restore(events: readonly AlertEvent[]): void;
  /** Open (pending or firing) alerts. */
  open(): { key: AlertKey; state: 'pending' | 'firing'; started_at: number }[];
  stateOf(key: AlertKey): AlertState | null;
}

export function alertId(key: AlertKey, startedAt: number, state: AlertState, at: number): string {
  return createHash('sha256').update(`${alertKeyString(key)}|${startedAt}|${state}|${at}`).digest('hex').slice(0, 32);
}

export function createAlertLifecycle(options: { repeatIntervalMs: number }): AlertLifecycle {
  const open = new Map<string, Open>();

  function emit(o: Open | { key: AlertKey; startedAt: number }, state: AlertState, previous: AlertState | null, at: number, details: AlertDetails): AlertEvent {
    return { ...details, alert_id: alertId(o.key, o.startedAt, state, at), key: o.key, state, previous, at, started_at: o.startedAt };
  }

  return {
    observe(key, condition, at, details) {
      const id = alertKeyString(key);
      const current = open.get(id);
      if (!current) {
        if (condition === 'ok') return null;
        const o: Open = { key, state: condition, startedAt: at, lastFiringAt: at };
        open.set(id, o);
        return emit(o, condition, null, at, details);
      }
      if (condition === 'ok') {
        open.delete(id);
        return emit(current, 'resolved', current.state, at, details);
      }
      if (current.state === 'pending') {
        if (condition === 'pending') return null;
        current.state = 'firing';
        current.lastFiringAt = at;
        return emit(current, 'firing', 'pending', at, details);
      }
      // firing stays firing until the rule says ok; remind every repeat interval
      if (options.repeatIntervalMs > 0 && at - current.lastFiringAt >= options.repeatIntervalMs) {
        current.lastFiringAt = at;
        return emit(current, 'firing', 'firing', at, details);
      }
      return null;
    },

    restore(events) {
      const latest = new Map<string, AlertEvent>();
      for (const e of events) {
        const id = alertKeyString(e.key);
        const prev = latest.get(id);
        if (!prev || e.at >= prev.at) latest.set(id, e);
      }
      for (const [id, e] of latest) {
        if (e.state === 'resolved') open.delete(id);
        else open.set(id, { key: e.key, state: e.state, startedAt: e.started_at, lastFiringAt: e.at });
      }
    },

    open: () => [...open.values()].map((o) => ({ key: o.key, state: o.state, started_at: o.startedAt })),
    stateOf: (key) => open.get(alertKeyString(key))?.state ?? null,
  };
}

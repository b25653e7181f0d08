import type { AlertDetails, AlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { ALL, type AlertEvent, type AlertKey } from '../types.ts';
import { MINUTE_MS } from '../../core/time.ts';

/**
 * One alert per model that has events without a price. Their cost is NULL — missing from
 * every cost figure and budget — so the first such event fires at once (no streak: one
 * unpriced call already means the numbers are incomplete). The alert resolves after
 * `quietMinutes` closed minutes in a row without any (default 60), e.g. once the model
 * has been added to the price table.
 *
 * Key: rule 'unpriced_model', metric 'unpriced_model', feature '*', model = the model.
 */

export const UNPRICED_RULE = 'unpriced_model';
export const DEFAULT_UNPRICED_QUIET_MINUTES = 60;
const RECENT_MINUTES = 60;

export interface UnpricedOptions {
  severity: 'warning' | 'critical';
  /** Minutes without unpriced events before the alert resolves. */
  quietMinutes?: number;
}

export interface UnpricedEvaluator {
  /**
   * Judges the closed minute starting at `minute`: `counts` is model → unpriced events in
   * that minute over all features (models absent or 0 had none). Minutes at or before the
   * last one seen are ignored.
   */
  onMinute(minute: number, counts: ReadonlyMap<string, number>): AlertEvent[];
}

export function unpricedKey(model: string): AlertKey {
  return { rule: UNPRICED_RULE, metric: 'unpriced_model', feature: ALL, model };
}

/**
 * Creates the rule over the shared lifecycle. Alerts restored into the lifecycle start
 * their quiet hour at the first minute judged after the restore, so a restart never
 * resolves an alert early.
 */
export function createUnpricedRule(lifecycle: AlertLifecycle, options: UnpricedOptions): UnpricedEvaluator {
  const quiet = options.quietMinutes ?? DEFAULT_UNPRICED_QUIET_MINUTES;
  /** Model → start of the last minute with unpriced events (or of the first minute after a restore). */
  const lastSeen = new Map<string, number>();
  const recent = new Map<string, number[]>();
  let lastMinute: number | null = null;

  function remember(model: string, count: number): number[] {
    const r = recent.get(model) ?? [];
    r.push(count);
    if (r.length > RECENT_MINUTES) r.splice(0, r.length - RECENT_MINUTES);
    recent.set(model, r);
    return r;
  }

  function details(model: string, count: number, firing: boolean): AlertDetails {
    return {
      severity: options.severity,
      direction: 'up',
      value: count,
      expected: 0,
      score: firing ? 1 : 0,
      deviation: firing ? `${count} unpriced event${count === 1 ? '' : 's'} in the minute` : `no unpriced events for ${quiet} minutes`,
      recent: [...(recent.get(model) ?? [])],
      prompt_version: null,
      detector: 'unpriced',
      summary: firing
        ? `Model "${model}" has ${count} event${count === 1 ? '' : 's'} without a price in the last minute: their cost is NULL and missing from cost figures and budgets. Add the model to the price table (PRICES_FILE).`
        : `Model "${model}" has had no events without a price for ${quiet} minutes.`,
    };
  }

  return {
    onMinute(minute, counts) {
      if (lastMinute !== null && minute <= lastMinute) return [];
      lastMinute = minute;
      const at = minute + MINUTE_MS;
      const events: AlertEvent[] = [];
      const hit = new Set<string>();
      for (const [model, n] of counts) {
        if (!(n > 0)) continue;
        hit.add(model);
        lastSeen.set(model, minute);
        remember(model, n);
        const e = lifecycle.observe(unpricedKey(model), 'firing', at, details(model, n, true));
        if (e) events.push(e);
      }
      for (const o of lifecycle.open()) {
        if (o.key.rule !== UNPRICED_RULE || hit.has(o.key.model)) continue;
        const model = o.key.model;
        remember(model, 0);
        const seen = lastSeen.get(model);
        if (seen === undefined) {
          lastSeen.set(model, minute); // restored: count the quiet period from here
          continue;
        }
        if ((minute - seen) / MINUTE_MS < quiet) continue;
        const e = lifecycle.observe(unpricedKey(model), 'ok', at, details(model, 0, false));
        if (e) events.push(e);
        lastSeen.delete(model);
        recent.delete(model);
      }
      return events;
    },
  };
}

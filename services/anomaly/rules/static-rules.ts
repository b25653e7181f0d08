import type { AlertsFile, BudgetRule } from '../config/alerts-file.ts';
import { createAlertLifecycle, type AlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { ALL, alertKeyString, type AlertEvent, type AlertKey } from '../types.ts';
import { budgetKeys, evaluateBudget, type BudgetMetric, type Spend } from './budget-rule.ts';
import { createThresholdRule, type SeriesMinute } from './threshold-rule.ts';
import { createUnpricedRule, UNPRICED_RULE, type UnpricedEvaluator } from './unpriced-rule.ts';

export type { SeriesMinute } from './threshold-rule.ts';
export type { Spend } from './budget-rule.ts';

/**
 * The static rules of ALERTS_FILE — budgets, thresholds, unpriced models — behind one
 * alert lifecycle, so the service has one object to feed, one to restore after a restart
 * and one place that knows which stored alerts are "ours".
 */
export interface StaticRules {
  /** Judges thresholds and unpriced models on one closed minute (`minute` = its start, epoch ms). */
  onMinute(minute: number, rows: readonly SeriesMinute[]): AlertEvent[];
  /**
   * Judges every budget at `now`. `spend` maps a feature (or '*' for all features
   * together) to its spend in the current UTC day and month; a missing feature spent 0.
   */
  checkBudgets(now: number, spend: ReadonlyMap<string, Spend>): AlertEvent[];
  /**
   * Re-opens stored alerts (latest event per key wins) without emitting anything. Events
   * of other rules (learned detectors) and of rules no longer in the file are ignored.
   */
  restore(events: readonly AlertEvent[]): void;
  /** Open (pending or firing) static-rule alerts. */
  open(): ReturnType<AlertLifecycle['open']>;
}

export interface StaticRulesOptions {
  /** A firing alert is re-sent this often (the file's repeat_interval_minutes); 0: never. */
  repeatIntervalMinutes: number;
  /** Quiet minutes before an unpriced-model alert resolves (default 60). */
  unpricedQuietMinutes?: number;
}

/** Builds the static rules of a validated alerts file. */
export function createStaticRules(file: AlertsFile, opts: StaticRulesOptions): StaticRules {
  const lifecycle = createAlertLifecycle({ repeatIntervalMs: opts.repeatIntervalMinutes * 60_000 });
  const thresholds = file.thresholds.map((t) => createThresholdRule(t, lifecycle));
  const unpriced: UnpricedEvaluator | null = file.unpriced_models.enabled
    ? createUnpricedRule(lifecycle, { severity: file.unpriced_models.severity, quietMinutes: opts.unpricedQuietMinutes })
    : null;

  // keys this file can produce: a stored alert of a removed or re-pointed rule is not restored
  const ours = new Set<string>(thresholds.map((t) => alertKeyString(t.key)));
  for (const b of file.budgets) {
    for (const metric of budgetMetrics(b)) {
      const keys = budgetKeys(b, metric);
      ours.add(alertKeyString(keys.critical)).add(alertKeyString(keys.warning));
    }
  }
  const isOurs = (k: AlertKey): boolean =>
    k.rule === UNPRICED_RULE ? unpriced !== null && k.metric === 'unpriced_model' && k.feature === ALL : ours.has(alertKeyString(k));

  return {
    onMinute(minute, rows) {
      const events: AlertEvent[] = [];
      for (const t of thresholds) {
        const e = t.onMinute(minute, rows);
        if (e) events.push(e);
      }
      if (unpriced) events.push(...unpriced.onMinute(minute, unpricedByModel(rows)));
      return events;
    },
    checkBudgets(now, spend) {
      const none: Spend = { day_usd: 0, month_usd: 0 };
      return file.budgets.flatMap((b) => evaluateBudget(lifecycle, b, spend.get(b.feature) ?? none, now));
    },
    restore(events) {
      lifecycle.restore(events.filter((e) => isOurs(e.key)));
    },
    open: () => lifecycle.open(),
  };
}

function budgetMetrics(b: BudgetRule): BudgetMetric[] {
  const out: BudgetMetric[] = [];
  if (b.daily_usd !== undefined) out.push('budget_daily');
  if (b.monthly_usd !== undefined) out.push('budget_monthly');
  return out;
}

/**
 * Unpriced events per model over all features, from the finest rows (feature and model
 * both named) so aggregated rows of the same minute are not counted twice.
 */
export function unpricedByModel(rows: readonly SeriesMinute[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const { series, agg } of rows) {
    if (series.feature === ALL || series.model === ALL || !(agg.unpriced > 0)) continue;
    out.set(series.model, (out.get(series.model) ?? 0) + agg.unpriced);
  }
  return out;
}

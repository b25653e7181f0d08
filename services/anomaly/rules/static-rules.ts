import type { AlertsFile, BudgetRule } from '../config/alerts-file.ts';
import { createAlertLifecycle, type AlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { ALL, alertKeyString, type AlertEvent, type AlertKey } from '../types.ts';
import { budgetKeys, budgetUserOf, evaluateBudget, type BudgetMetric, type Spend } from './budget-rule.ts';
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
   * `userSpend` maps a per-user budget's name to the users near or over it (see
   * readUserSpend); a user with an open alert who is not in it spent 0 (a new period).
   */
  checkBudgets(now: number, spend: ReadonlyMap<string, Spend>, userSpend?: ReadonlyMap<string, ReadonlyMap<string, Spend>>): AlertEvent[];
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
  const perUser = file.budgets.filter((b) => b.per === 'user');
  for (const b of file.budgets) {
    if (b.per === 'user') continue;
    for (const metric of budgetMetrics(b)) {
      const keys = budgetKeys(b, metric);
      ours.add(alertKeyString(keys.critical)).add(alertKeyString(keys.warning));
    }
  }
  const userOf = (b: BudgetRule, k: AlertKey) =>
    k.feature === b.feature && (budgetMetrics(b) as string[]).includes(k.metric) ? budgetUserOf(b, k) : undefined;
  const isOurs = (k: AlertKey): boolean =>
    k.rule === UNPRICED_RULE
      ? unpriced !== null && k.metric === 'unpriced_model' && k.feature === ALL
      : ours.has(alertKeyString(k)) || perUser.some((b) => userOf(b, k) !== undefined);

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
    checkBudgets(now, spend, userSpend = new Map()) {
      const none: Spend = { day_usd: 0, month_usd: 0 };
      const events = file.budgets.filter((b) => b.per !== 'user').flatMap((b) => evaluateBudget(lifecycle, b, spend.get(b.feature) ?? none, now));
      for (const b of perUser) {
        const spent = userSpend.get(b.name) ?? new Map<string, Spend>();
        const users = new Set(spent.keys());
        for (const o of lifecycle.open()) {
          const u = userOf(b, o.key);
          if (u !== undefined) users.add(u);
        }
        for (const user of [...users].sort()) events.push(...evaluateBudget(lifecycle, b, spent.get(user) ?? none, now, { user }));
      }
      return events;
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

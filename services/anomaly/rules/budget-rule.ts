import type { BudgetRule } from '../config/alerts-file.ts';
import type { AlertDetails, AlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { formatUsd } from '../detectors/metric-values.ts';
import { ALL, alertKeyString, type AlertEvent, type AlertKey } from '../types.ts';

/**
 * Spending budgets from ALERTS_FILE, judged against the spend so far in the current UTC
 * day and month.
 *
 * Each (budget, period) has two alerts, so that escalating from a warning to "over budget"
 * is a new alert and therefore a new notification (the lifecycle only re-sends a firing
 * alert on its repeat interval):
 *
 *   rule `${name}`        metric budget_daily|budget_monthly  severity critical  spend >= 100 %
 *   rule `${name}/warn`   same metric                         severity warning   spend >= warn_at,
 *                                                                                or projected > 100 %
 *
 * The `/warn` suffix cannot clash with another rule: `/` is not allowed in rule names.
 * While the critical alert is firing, the warning's events carry `covered_by` = the
 * critical key, so they are stored but not notified on their own.
 *
 * Both alerts stay firing until their period ends (spend only grows within a period; a
 * projection that dips back under the budget in a quiet afternoon is not worth a
 * "resolved" message) and resolve at the first check of the next period.
 */

export type BudgetPeriod = 'daily' | 'monthly';
export type BudgetMetric = 'budget_daily' | 'budget_monthly';

/** Spend so far in the current UTC day and month, USD. */
export interface Spend {
  day_usd: number;
  month_usd: number;
}

/** Suffix of the warning alert's rule name; `/` is outside the rule-name alphabet. */
export const BUDGET_WARN_SUFFIX = '/warn';

/** Below this share of the period elapsed, spend is not extrapolated (at 00:05 one call projects to a fortune). */
export const MIN_PROJECTION_ELAPSED = 0.1;

export interface BudgetJudgement {
  period: BudgetPeriod;
  metric: BudgetMetric;
  budget_usd: number;
  spent_usd: number;
  /** spent / budget. */
  share: number;
  /** Epoch ms of the period's start and end (UTC). */
  period_start: number;
  period_end: number;
  /** Share of the period elapsed at `now`, 0..1. */
  elapsed: number;
  /** Spend extrapolated linearly to the period's end; null before MIN_PROJECTION_ELAPSED. */
  projected_usd: number | null;
  /** Worst level reached: critical at >= 100 %, warning at warn_at or on projection. */
  level: 'ok' | 'warning' | 'critical';
  /** The warning condition on its own (true at critical too: the warning alert stays open, covered). */
  warn: boolean;
  /** Why the warning holds; 'share' wins when both do. */
  warn_reason: 'share' | 'projection' | null;
}

/** Start and end (exclusive) of the UTC day or month containing `now`. */
export function periodBounds(period: BudgetPeriod, now: number): { start: number; end: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'daily') {
    const start = Date.UTC(y, m, d.getUTCDate());
    return { start, end: start + 86_400_000 };
  }
  return { start: Date.UTC(y, m, 1), end: Date.UTC(y, m + 1, 1) };
}

/**
 * Pure judgement of one budget: one entry per period the budget sets (daily_usd,
 * monthly_usd). Kept free of alert state so the arithmetic is testable on its own.
 */
export function judgeBudget(rule: BudgetRule, spend: Spend, now: number, options: { minProjectionElapsed?: number } = {}): BudgetJudgement[] {
  const minElapsed = options.minProjectionElapsed ?? MIN_PROJECTION_ELAPSED;
  const out: BudgetJudgement[] = [];
  const periods: [BudgetPeriod, number | undefined, number][] = [
    ['daily', rule.daily_usd, spend.day_usd],
    ['monthly', rule.monthly_usd, spend.month_usd],
  ];
  for (const [period, budget, spentRaw] of periods) {
    if (budget === undefined) continue;
    const spent = Number.isFinite(spentRaw) && spentRaw > 0 ? spentRaw : 0;
    const { start, end } = periodBounds(period, now);
    const elapsed = Math.min(1, Math.max(0, (now - start) / (end - start)));
    const projected = elapsed >= minElapsed && elapsed > 0 ? spent / elapsed : null;
    const share = spent / budget;
    const byShare = share >= rule.warn_at;
    const byProjection = rule.warn_on_projection && projected !== null && projected > budget;
    const warn = byShare || byProjection;
    out.push({
      period,
      metric: period === 'daily' ? 'budget_daily' : 'budget_monthly',
      budget_usd: budget,
      spent_usd: spent,
      share,
      period_start: start,
      period_end: end,
      elapsed,
      projected_usd: projected,
      level: share >= 1 ? 'critical' : warn ? 'warning' : 'ok',
      warn,
      warn_reason: byShare ? 'share' : byProjection ? 'projection' : null,
    });
  }
  return out;
}

/** What a per-user budget's alerts carry after the rule name: `/` is outside the rule-name alphabet, so it cannot clash. */
export const BUDGET_USER_INFIX = '/user=';

/** The rule name of one user's alerts under a per-user budget. */
export const userRuleName = (rule: BudgetRule, user: string) => `${rule.name}${BUDGET_USER_INFIX}${user}`;

/** The user of a per-user budget's alert key (undefined for a feature budget's). */
export function budgetUserOf(rule: BudgetRule, key: AlertKey): string | undefined {
  const prefix = `${rule.name}${BUDGET_USER_INFIX}`;
  if (rule.per !== 'user' || !key.rule.startsWith(prefix)) return undefined;
  const rest = key.rule.slice(prefix.length);
  return rest.endsWith(BUDGET_WARN_SUFFIX) ? rest.slice(0, -BUDGET_WARN_SUFFIX.length) : rest;
}

/** The two alert keys of one budget period: [critical, warning]. Model is always '*'; a per-user budget's name their user. */
export function budgetKeys(rule: BudgetRule, metric: BudgetMetric, user?: string): { critical: AlertKey; warning: AlertKey } {
  const name = user === undefined ? rule.name : userRuleName(rule, user);
  return {
    critical: { rule: name, metric, feature: rule.feature, model: ALL },
    warning: { rule: `${name}${BUDGET_WARN_SUFFIX}`, metric, feature: rule.feature, model: ALL },
  };
}

/**
 * Judges one budget at `now` and feeds the result through the shared lifecycle; returns
 * the alert changes (new warnings, escalations, reminders, resets at a new period).
 * `spend` is the spend of the budget's feature, or of all features for feature '*'.
 */
export function evaluateBudget(
  lifecycle: AlertLifecycle,
  rule: BudgetRule,
  spend: Spend,
  now: number,
  options: { minProjectionElapsed?: number; user?: string } = {},
): AlertEvent[] {
  const events: AlertEvent[] = [];
  const openStart = new Map(lifecycle.open().map((o) => [alertKeyString(o.key), o.started_at]));
  for (const j of judgeBudget(rule, spend, now, options)) {
    const keys = budgetKeys(rule, j.metric, options.user);
    const criticalId = alertKeyString(keys.critical);
    // the warning adds nothing while the critical alert of the same budget period is open
    const covered = { reset: openStart.has(criticalId), current: false };
    for (const which of ['critical', 'warning'] as const) {
      const key = keys[which];
      const details = (phase: 'reset' | 'current'): AlertDetails => ({
        ...budgetDetails(rule, j, which, phase, options.user),
        covered_by: which === 'warning' && covered[phase] ? criticalId : null,
      });
      const started = openStart.get(alertKeyString(key));
      if (started !== undefined && started < j.period_start) {
        // an alert of a previous period: the new period starts from zero
        const e = lifecycle.observe(key, 'ok', now, details('reset'));
        if (e) events.push(e);
      }
      const holds = which === 'critical' ? j.level === 'critical' : j.warn;
      // sticky within the period: once firing, only the period's end resolves it
      const condition = holds || lifecycle.stateOf(key) === 'firing' ? 'firing' : 'ok';
      const e = lifecycle.observe(key, condition, now, details('current'));
      if (e) events.push(e);
      if (which === 'critical') covered.current = lifecycle.stateOf(key) === 'firing';
    }
  }
  return events;
}

function budgetDetails(rule: BudgetRule, j: BudgetJudgement, which: 'critical' | 'warning', phase: 'reset' | 'current', user?: string): AlertDetails {
  const periodWord = user === undefined ? (j.period === 'daily' ? 'daily' : 'monthly') : j.period === 'daily' ? 'per-user daily' : 'per-user monthly';
  const so_far = j.period === 'daily' ? 'today (UTC)' : 'this month (UTC)';
  const who =
    user !== undefined
      ? `User "${user}"${rule.feature === ALL ? '' : ` of feature "${rule.feature}"`} has`
      : rule.feature === ALL
        ? 'All features together have'
        : `Feature "${rule.feature}" has`;
  const of = user !== undefined ? 'the' : rule.feature === ALL ? 'the' : 'its';
  let deviation = `${percent(j.share)} of ${formatUsd(j.budget_usd)} ${periodWord} budget`;
  let summary: string;
  if (phase === 'reset') {
    summary = `New ${j.period === 'daily' ? 'day' : 'month'} (UTC): the ${periodWord} budget "${rule.name}" starts again; ${formatUsd(j.spent_usd)} spent so far.`;
  } else {
    summary = `${who} spent ${formatUsd(j.spent_usd)} ${so_far}, ${percent(j.share)} of ${of} ${formatUsd(j.budget_usd)} ${periodWord} budget "${rule.name}"`;
    if (which === 'warning' && j.level !== 'critical') {
      if (j.warn_reason === 'projection' && j.projected_usd !== null) {
        const projection = `on track for ${formatUsd(j.projected_usd)} (${percent(j.projected_usd / j.budget_usd)})`;
        deviation += `, ${projection}`;
        summary += `; at this rate it is ${projection} by the end of the ${j.period === 'daily' ? 'day' : 'month'}.`;
      } else {
        summary += ` (warning at ${percent(rule.warn_at)}).`;
      }
    } else {
      summary += j.level === 'critical' ? ': over budget.' : '.';
    }
  }
  return {
    severity: which,
    direction: 'up',
    value: j.spent_usd,
    expected: j.budget_usd,
    score: Math.min(1, j.share),
    deviation,
    recent: [],
    detector: 'budget',
    summary,
  };
}

/** "82 %", "0.4 %", "1,250 %". */
function percent(share: number): string {
  const p = share * 100;
  const s = p > 0 && p < 1 ? p.toFixed(1) : Math.round(p).toLocaleString('en-US');
  return `${s} %`;
}

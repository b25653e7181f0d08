import type { ThresholdRule } from '../config/alerts-file.ts';
import type { AlertDetails, AlertLifecycle, Condition } from '../lifecycle/alert-lifecycle.ts';
import { emptyAggregate, formatMetric, metricLabel, metricValue, metricVolume } from '../detectors/metric-values.ts';
import { quotedSeriesLabel } from '../series-label.ts';
import type { AlertEvent, AlertKey, Direction, MinuteAggregate, SeriesId } from '../types.ts';
import { MINUTE_MS } from '../../core/time.ts';

/**
 * Absolute limits from ALERTS_FILE ("p95 latency of support-chat above 8 s"), judged on
 * each closed minute.
 *
 * A rule watches exactly one series: its `feature` and `model` are names, and `*` means
 * the series aggregated over all of them — `feature: "*", model: "*"` is all traffic,
 * `feature: "support-chat", model: "*"` is support-chat over every model. (`*` is not
 * "each feature": per-feature limits are one rule per feature.)
 *
 * A minute is judged when its volume (requests; evals for eval_score; feedback for
 * negative_feedback_rate) is at least `min_requests` and the value is defined. Judged
 * minutes beyond the limit (`value > above` or `value < below`) count up a streak:
 * pending from the first, firing after `for_minutes` in a row; once firing, it resolves
 * after `for_minutes` judged minutes in a row within the limit. A pending alert resolves
 * on the first minute within the limit. Minutes that are not judged (too little traffic)
 * neither extend nor break a streak, and leave a firing alert firing.
 *
 * A series with no row in a minute had no events: it is judged as an empty minute, so
 * `metric: "requests", below: 1, min_requests: 0` alerts when traffic stops.
 */

/** One closed minute of one series, as the engine hands them to rules. */
export interface SeriesMinute {
  series: SeriesId;
  agg: MinuteAggregate;
}

/** How many minutes of values an alert carries in `recent`. */
export const RECENT_MINUTES = 60;

export interface ThresholdEvaluator {
  readonly rule: ThresholdRule;
  readonly key: AlertKey;
  /** Judges the closed minute starting at `minute` (epoch ms); minutes at or before the last one seen are ignored. */
  onMinute(minute: number, rows: readonly SeriesMinute[]): AlertEvent | null;
}

/** The alert key of a threshold rule: its name, metric and the one series it watches. */
export function thresholdKey(rule: ThresholdRule): AlertKey {
  return { rule: rule.name, metric: rule.metric, feature: rule.feature, model: rule.model };
}

/**
 * One threshold rule with its small state (streak counts and the last hour of values).
 * Alert state itself lives in the shared lifecycle, so a restored lifecycle continues a
 * firing alert without re-notifying.
 */
export function createThresholdRule(rule: ThresholdRule, lifecycle: AlertLifecycle): ThresholdEvaluator {
  const key = thresholdKey(rule);
  let breaches = 0;
  let clears = 0;
  let lastMinute: number | null = null;
  const recent: (number | null)[] = [];

  function remember(minute: number, value: number | null): void {
    if (lastMinute !== null) {
      const gap = Math.min(RECENT_MINUTES, Math.round((minute - lastMinute) / MINUTE_MS) - 1);
      for (let i = 0; i < gap; i++) recent.push(null);
    }
    recent.push(value);
    if (recent.length > RECENT_MINUTES) recent.splice(0, recent.length - RECENT_MINUTES);
    lastMinute = minute;
  }

  return {
    rule,
    key,
    onMinute(minute, rows) {
      if (lastMinute !== null && minute <= lastMinute) return null;
      const row = rows.find((r) => r.series.feature === rule.feature && r.series.model === rule.model);
      const agg = row?.agg ?? emptyAggregate(minute);
      const value = metricValue(rule.metric, agg);
      remember(minute, value);
      if (value === null || !Number.isFinite(value) || metricVolume(rule.metric, agg) < rule.min_requests) return null;

      const breach = breachOf(rule, value);
      if (breach) {
        breaches++;
        clears = 0;
      } else {
        clears++;
        breaches = 0;
      }
      const state = lifecycle.stateOf(key);
      let condition: Condition;
      if (state === 'firing') condition = !breach && clears >= rule.for_minutes ? 'ok' : 'firing';
      else if (breach) condition = breaches >= rule.for_minutes ? 'firing' : 'pending';
      else condition = 'ok';

      const details: AlertDetails = {
        severity: rule.severity,
        direction: breach ?? ruleDirection(rule),
        value,
        expected: breach === 'down' ? (rule.below ?? null) : (rule.above ?? rule.below ?? null),
        score: breach ? 1 : 0,
        deviation: deviationOf(rule, value, breach),
        recent: [...recent],
        prompt_version: agg.prompt_versions?.[0] ?? null,
        detector: 'threshold',
        summary: summaryOf(rule, value, breach, condition, breaches, clears),
      };
      return lifecycle.observe(key, condition, minute + MINUTE_MS, details);
    },
  };
}

function breachOf(rule: ThresholdRule, value: number): 'up' | 'down' | null {
  if (rule.above !== undefined && value > rule.above) return 'up';
  if (rule.below !== undefined && value < rule.below) return 'down';
  return null;
}

function ruleDirection(rule: ThresholdRule): Direction {
  if (rule.above !== undefined && rule.below !== undefined) return 'both';
  return rule.above !== undefined ? 'up' : 'down';
}

function limitsText(rule: ThresholdRule): string {
  const parts: string[] = [];
  if (rule.above !== undefined) parts.push(`<= ${formatMetric(rule.metric, rule.above)}`);
  if (rule.below !== undefined) parts.push(`>= ${formatMetric(rule.metric, rule.below)}`);
  return parts.join(' and ');
}

function deviationOf(rule: ThresholdRule, value: number, breach: 'up' | 'down' | null): string {
  const v = formatMetric(rule.metric, value);
  if (breach === 'up') return `${v} > ${formatMetric(rule.metric, rule.above ?? null)}`;
  if (breach === 'down') return `${v} < ${formatMetric(rule.metric, rule.below ?? null)}`;
  return `${v}, within ${limitsText(rule)}`;
}

function summaryOf(rule: ThresholdRule, value: number, breach: 'up' | 'down' | null, condition: Condition, breaches: number, clears: number): string {
  const what = `${metricLabel(rule.metric)} of ${quotedSeriesLabel(rule)}`;
  const v = formatMetric(rule.metric, value);
  if (!breach) {
    const streak =
      condition === 'firing' ? ` again (${clears} of ${rule.for_minutes} minutes needed to resolve)` : clears > 1 ? ` for ${clears} minutes` : '';
    return `The ${what} is ${v}, within threshold "${rule.name}" (${limitsText(rule)})${streak}.`;
  }
  const limit = breach === 'up' ? `above the ${formatMetric(rule.metric, rule.above ?? null)} limit` : `below the ${formatMetric(rule.metric, rule.below ?? null)} limit`;
  const streak = condition === 'pending' ? `${breaches} of ${rule.for_minutes} minutes needed to fire` : `${breaches} minute${breaches === 1 ? '' : 's'} in a row`;
  return `The ${what} is ${v}, ${limit} of threshold "${rule.name}" (${streak}).`;
}

import { emptyAggregate, observeMetric } from './detectors/metric-values.ts';
import type { MetricName, MinuteAggregate } from './types.ts';

/**
 * What each metric means for one minute of one series, for the static rules and the
 * notification texts. The definitions themselves live in detectors/metric-values.ts
 * (observeMetric) and are only read through here, so the learned detectors and the
 * threshold rules can never disagree on what "error rate" is.
 */
export { emptyAggregate };

/**
 * The metric's value in the minute, or null when it is undefined (no requests for a
 * per-request metric, no evals for eval_score, no feedback for the feedback rate). Null
 * is "no data", never 0: a minute without evals has no eval score, not a score of zero.
 */
export function metricValue(metric: MetricName, agg: MinuteAggregate): number | null {
  return observeMetric(metric, agg).value;
}

/**
 * How many observations the minute's value rests on: evals for eval_score, feedback for
 * negative_feedback_rate, requests otherwise. Minimum-volume settings compare against
 * this, so a rate over 2 events is not judged like one over 2,000.
 */
export function metricVolume(metric: MetricName, agg: MinuteAggregate): number {
  return observeMetric(metric, agg).volume;
}

/** A metric value the way people read it in a notification: "7.5 %", "812 ms", "$1.23", "0.82". */
export function formatMetric(metric: MetricName, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'no data';
  switch (metric) {
    case 'error_rate':
    case 'negative_feedback_rate':
      return `${round(value * 100, 2)} %`;
    case 'latency_p95_ms':
      return `${Math.round(value)} ms`;
    case 'cost_usd':
      return formatUsd(value);
    case 'eval_score':
      return String(round(value, 3));
    case 'tokens_per_request':
      return String(Math.round(value));
    case 'requests':
    case 'unpriced_events':
      return String(round(value, 2));
  }
}

/** USD with cents, and more precision for sub-cent amounts ($0.0042) so small spend is not shown as $0.00. */
export function formatUsd(value: number): string {
  const abs = Math.abs(value);
  const digits = abs > 0 && abs < 0.01 ? 4 : 2;
  const s = abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${value < 0 ? '-' : ''}$${s}`;
}

/** Human label of a metric for sentences ("error rate", "p95 latency"). */
export function metricLabel(metric: MetricName): string {
  switch (metric) {
    case 'latency_p95_ms':
      return 'p95 latency';
    case 'cost_usd':
      return 'cost per minute';
    case 'requests':
      return 'requests per minute';
    case 'unpriced_events':
      return 'unpriced events per minute';
    default:
      return metric.replace(/_/g, ' ');
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

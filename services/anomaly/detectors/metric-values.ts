import type { MetricName, MinuteAggregate } from '../types.ts';

/** What one metric looks like in one minute: its value, the volume it rests on, and successes/trials for rates. */
export interface MetricObservation {
  /** null when the minute has nothing to measure (no requests for a per-request metric, no evals, …). */
  value: number | null;
  /** Events behind the value: requests, or evals / feedback for the quality metrics. */
  volume: number;
  successes?: number;
  trials?: number;
}

/**
 * The metric values of a minute aggregate. Rates are ratios of sums (never averages of
 * averages), so the same function serves every level of (feature, model) roll-up.
 */
export function observeMetric(metric: MetricName, a: MinuteAggregate): MetricObservation {
  const r = a.requests;
  switch (metric) {
    case 'requests':
      return { value: r, volume: r };
    case 'cost_usd':
      return { value: r > 0 ? a.cost_usd : null, volume: r };
    case 'tokens_per_request':
      return { value: r > 0 ? a.tokens / r : null, volume: r };
    case 'latency_p95_ms':
      return { value: r > 0 ? a.latency_p95_ms : null, volume: r };
    case 'error_rate':
      return { value: r > 0 ? a.errors / r : null, volume: r, successes: a.errors, trials: r };
    case 'eval_score':
      return { value: a.eval_count > 0 ? a.eval_sum / a.eval_count : null, volume: a.eval_count, successes: a.eval_sum, trials: a.eval_count };
    case 'negative_feedback_rate':
      return { value: a.feedback_count > 0 ? a.feedback_negative / a.feedback_count : null, volume: a.feedback_count, successes: a.feedback_negative, trials: a.feedback_count };
    case 'unpriced_events':
      return { value: r > 0 ? a.unpriced : null, volume: r, successes: a.unpriced, trials: r };
  }
}

/** A minute without any event (how a series that went silent is judged). */
export function emptyAggregate(minute: number): MinuteAggregate {
  return { minute, requests: 0, errors: 0, cost_usd: 0, unpriced: 0, tokens: 0, latency_p95_ms: null, eval_count: 0, eval_sum: 0, feedback_count: 0, feedback_negative: 0 };
}

/*
 * The static rules and notification texts read the definitions above through the two
 * accessors below, the learned detectors through observeMetric: one definition for both,
 * so the detectors and the threshold rules can never disagree on what "error rate" is.
 */

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

// How people read a metric: its value in notification texts, its label in sentences.

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

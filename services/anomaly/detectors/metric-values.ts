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

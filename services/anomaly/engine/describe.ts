import { seriesLabel } from '../series-label.ts';
import type { Direction, MetricName, SeriesId } from '../types.ts';

/**
 * Human text of an anomaly alert: the `deviation` measure and the one-line `summary`
 * that notifications show. Kept apart from the engine so wording changes never touch
 * detection.
 */

const LABEL: Record<MetricName, string> = {
  requests: 'Traffic',
  cost_usd: 'Cost',
  tokens_per_request: 'Tokens per request',
  latency_p95_ms: 'p95 latency',
  error_rate: 'Error rate',
  eval_score: 'Eval score',
  negative_feedback_rate: 'Negative feedback',
  unpriced_events: 'Unpriced events',
};

const RATE_METRICS: ReadonlySet<MetricName> = new Set(['error_rate', 'negative_feedback_rate']);

const sig = (x: number, digits = 3): string => (Math.abs(x) >= 10 ** digits ? Math.round(x).toLocaleString('en-US') : String(Number(x.toPrecision(digits))));

/**
 * A value of the metric in one minute, with per-minute units: "$1.23/min", "812 ms", "7.5 %",
 * "0.82", "240 req/min". (Notifications format values their own way: notify/format.ts.)
 */
export function formatMinuteValue(metric: MetricName, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'no data';
  if (RATE_METRICS.has(metric)) return `${sig(v * 100)} %`;
  switch (metric) {
    case 'cost_usd':
      return `$${v < 0.01 ? sig(v, 2) : v.toFixed(2)}/min`;
    case 'latency_p95_ms':
      return `${Math.round(v)} ms`;
    case 'requests':
      return `${sig(v)} req/min`;
    case 'unpriced_events':
      return `${sig(v)}/min`;
    case 'eval_score':
      return v.toFixed(2);
    default:
      return sig(v);
  }
}

export interface DescribeInput {
  metric: MetricName;
  series: SeriesId;
  direction: Direction;
  value: number | null;
  expected: number | null;
  /** Primary deviation: robust z for level metrics, proportion z for rates. */
  z: number;
  /** Detectors that flagged the minute. */
  flagged: string[];
  kind: 'level' | 'proportion';
}

/**
 * "x3.1 vs baseline (6.2 MADs above)" for level metrics; "8 % vs 0.5 % baseline (z = 12.3
 * above)" for rates; with "sustained" / "drift vs last week" when only the EWMA or the
 * CUSUM saw it.
 */
export function describeDeviation(d: DescribeInput): string {
  const { value, expected, z } = d;
  const side = z >= 0 ? 'above' : 'below';
  const how = d.flagged.length > 0 && !d.flagged.includes('baseline') && !d.flagged.includes('proportion') ? (d.flagged.includes('cusum') ? ', slow drift' : ', sustained') : '';
  const amount = `${Math.abs(z).toFixed(1)}`;
  if (d.kind === 'proportion') return `${formatMinuteValue(d.metric, value)} vs ${formatMinuteValue(d.metric, expected)} baseline (z = ${amount} ${side}${how})`;
  if (value === null || expected === null) return `${amount} MADs ${side}${how}`;
  const ratio = expected > 0 ? `x${value / expected >= 10 ? Math.round(value / expected) : (value / expected).toFixed(value / expected < 0.1 ? 2 : 1)}` : `${formatMinuteValue(d.metric, value)}`;
  return `${ratio} vs baseline (${amount} MADs ${side}${how})`;
}

const UP_WORD: Record<MetricName, [string, string]> = {
  requests: ['surge', 'drop'],
  cost_usd: ['spike', 'drop'],
  tokens_per_request: ['increase', 'decrease'],
  latency_p95_ms: ['increase', 'decrease'],
  error_rate: ['spike', 'drop'],
  eval_score: ['rise', 'drop'],
  negative_feedback_rate: ['spike', 'drop'],
  unpriced_events: ['spike', 'drop'],
};

/** One line: "Cost spike on support-chat / gpt-4o: $4.12/min vs $1.33/min expected (x3.1 vs baseline (6.2 MADs above))". */
export function describeSummary(d: DescribeInput & { state: 'pending' | 'firing' | 'resolved' }): string {
  const where = seriesLabel(d.series);
  const now = formatMinuteValue(d.metric, d.value);
  const exp = formatMinuteValue(d.metric, d.expected);
  if (d.state === 'resolved') return `${LABEL[d.metric]} back to normal on ${where}: ${now} vs ${exp} expected`;
  const word = UP_WORD[d.metric][d.z >= 0 ? 0 : 1];
  const stopped = d.metric === 'requests' && d.value === 0 ? ' (no traffic)' : '';
  return `${LABEL[d.metric]} ${word} on ${where}${stopped}: ${now} vs ${exp} expected (${describeDeviation(d)})`;
}

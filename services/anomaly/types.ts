import {  } from '../core/time.ts';
/**
 * Shared vocabulary of the anomaly service: series, per-minute aggregates, metrics and
 * alert events. Detectors (detectors/), the engine (engine/), static rules (rules/), the
 * notifier (notify/) and the service shell all speak these types.
 */

/** Every metric the service watches, per series and minute. */
export const METRICS = [
  'requests',
  'cost_usd',
  'tokens_per_request',
  'latency_p95_ms',
  'error_rate',
  'eval_score',
  'negative_feedback_rate',
  'unpriced_events',
] as const;
export type MetricName = (typeof METRICS)[number];

/** Which way is bad. */
export type Direction = 'up' | 'down' | 'both';

/** The value of `feature` / `model` in a series id that aggregates over all of them. */
export const ALL = '*';

/** (feature, model), (feature, *) or (*, *). */
export interface SeriesId {
  feature: string;
  model: string;
}

export const seriesKey = (s: SeriesId): string => `${s.feature}\u0000${s.model}`;

/** One closed minute of one series (event time). Sums, so minutes and series merge by adding. */
export interface MinuteAggregate {
  /** Epoch ms of the minute's start (UTC). */
  minute: number;
  requests: number;
  errors: number;
  /** Sum of cost over priced events, USD. */
  cost_usd: number;
  /** Events whose model has no price (cost NULL). */
  unpriced: number;
  /** Sum of input + output tokens. */
  tokens: number;
  /** p95 of latency_ms over the minute's events; null with no events. */
  latency_p95_ms: number | null;
  /** Eval scores (source eval, status ok, value not null) in the minute: count and sum of value (0..1). */
  eval_count: number;
  eval_sum: number;
  /** User feedback in the minute: count and how many negative (value < 0.5 or passed = false). */
  feedback_count: number;
  feedback_negative: number;
  /** Prompt versions seen in the minute, most frequent first (at most a few), for alert context. */
  prompt_versions?: string[];
}

export type AlertState = 'pending' | 'firing' | 'resolved';

/** Identity of an alert: one lifecycle per key. */
export interface AlertKey {
  /** 'anomaly' for learned detectors, else the static rule's name from ALERTS_FILE. */
  rule: string;
  metric: MetricName | 'budget_daily' | 'budget_monthly' | 'unpriced_model';
  feature: string;
  model: string;
}

export const alertKeyString = (k: AlertKey): string => [k.rule, k.metric, k.feature, k.model].join('|');

/** One state change of one alert. */
export interface AlertEvent {
  /** Deterministic: same alert, same change, same id (idempotent storage and notification). */
  alert_id: string;
  key: AlertKey;
  state: AlertState;
  /** Previous state; null for a new alert. A repeat reminder has state === previous === 'firing'. */
  previous: AlertState | null;
  /** Epoch ms (end of the minute that caused the change, or the check time for static rules). */
  at: number;
  /** Epoch ms when this alert first became pending. */
  started_at: number;
  severity: 'warning' | 'critical';
  direction: Direction;
  /** Observed value and what was expected (baseline or threshold). */
  value: number | null;
  expected: number | null;
  /** 0..1, how anomalous. */
  score: number;
  /** Human measure of "how far out", e.g. "4.2 MADs above" or "120 % of budget". */
  deviation: string;
  /** Up to the last 60 minutes of the metric, oldest first (nulls for empty minutes). */
  recent: (number | null)[];
  prompt_version?: string | null;
  /** Which detector(s) flagged it, or the rule kind. */
  detector: string;
  summary: string;
  /**
   * Alert key string (alertKeyString) of an already-firing alert on a related series for
   * the same metric (e.g. (feature, *) covering (feature, model)) that this one adds
   * nothing to: stored and published, but not notified on its own. Null/absent: notify.
   */
  covered_by?: string | null;
}

/** Several alert events sent as one message (e.g. one provider outage across many features). */
export interface AlertGroup {
  group_id: string;
  /** What the events share, e.g. { metric: 'error_rate', model: 'gpt-4o' }. */
  common: Partial<AlertKey> & { state: AlertState };
  events: AlertEvent[];
}


/** Negative user feedback: a failed verdict, or a value in the bottom half of the 0..1 scale. */
export function isNegativeFeedback(s: { passed: boolean | null; value: number | null }): boolean {
  if (s.passed !== null) return !s.passed;
  return s.value !== null && s.value < 0.5;
}

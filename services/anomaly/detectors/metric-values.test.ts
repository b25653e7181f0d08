import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyAggregate, formatMetric, formatUsd, metricValue, metricVolume } from './metric-values.ts';
import { METRICS, type MinuteAggregate } from '../types.ts';

const m: MinuteAggregate = {
  ...emptyAggregate(0),
  requests: 40,
  errors: 3,
  cost_usd: 1.25,
  unpriced: 2,
  tokens: 20_000,
  latency_p95_ms: 2300,
  eval_count: 4,
  eval_sum: 3,
  feedback_count: 5,
  feedback_negative: 1,
};

describe('metric values', () => {
  it('defines every metric from the minute sums', () => {
    assert.deepEqual(Object.fromEntries(METRICS.map((k) => [k, metricValue(k, m)])), {
      requests: 40,
      cost_usd: 1.25,
      tokens_per_request: 500,
      latency_p95_ms: 2300,
      error_rate: 0.075,
      eval_score: 0.75,
      negative_feedback_rate: 0.2,
      unpriced_events: 2,
    });
  });

  it('is null, not 0, where the minute has nothing to measure (only requests count a silent minute as 0)', () => {
    const empty = emptyAggregate(0);
    assert.deepEqual(Object.fromEntries(METRICS.map((k) => [k, metricValue(k, empty)])), {
      requests: 0,
      cost_usd: null,
      tokens_per_request: null,
      latency_p95_ms: null,
      error_rate: null,
      eval_score: null,
      negative_feedback_rate: null,
      unpriced_events: null,
    });
    // evals arrive later than their traces: a minute with evals but no requests still has a score
    assert.equal(metricValue('eval_score', { ...empty, eval_count: 2, eval_sum: 1 }), 0.5);
  });

  it('volume is evals / feedback for quality metrics and requests otherwise', () => {
    assert.equal(metricVolume('eval_score', m), 4);
    assert.equal(metricVolume('negative_feedback_rate', m), 5);
    for (const k of ['requests', 'cost_usd', 'tokens_per_request', 'latency_p95_ms', 'error_rate', 'unpriced_events'] as const) assert.equal(metricVolume(k, m), 40);
  });

  it('formats values for people', () => {
    assert.equal(formatMetric('error_rate', 0.075), '7.5 %');
    assert.equal(formatMetric('latency_p95_ms', 8123.4), '8123 ms');
    assert.equal(formatMetric('cost_usd', 1234.5), '$1,234.50');
    assert.equal(formatMetric('eval_score', 0.81234), '0.812');
    assert.equal(formatMetric('error_rate', null), 'no data');
    assert.equal(formatUsd(0.0042), '$0.0042');
    assert.equal(formatUsd(0), '$0.00');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRICS } from '../types.ts';
import { METRIC_DEFAULTS, resolveMetricProfiles } from './defaults.ts';

describe('metric defaults', () => {
  it('cover every metric with the directions the product expects', () => {
    for (const m of METRICS) assert.ok(METRIC_DEFAULTS[m].settings.enabled, m);
    assert.equal(METRIC_DEFAULTS.requests.settings.direction, 'both');
    assert.equal(METRIC_DEFAULTS.eval_score.settings.direction, 'down');
    for (const m of ['cost_usd', 'latency_p95_ms', 'error_rate', 'negative_feedback_rate', 'unpriced_events', 'tokens_per_request'] as const) assert.equal(METRIC_DEFAULTS[m].settings.direction, 'up', m);
    assert.equal(METRIC_DEFAULTS.error_rate.kind, 'proportion');
    assert.ok(METRIC_DEFAULTS.requests.volumeFromExpected, 'a drop to zero stays judged');
  });

  it('are overridden field by field by the alerts file', () => {
    const p = resolveMetricProfiles({ cost_usd: { threshold: 7, fire_k: 2 }, eval_score: { enabled: false } });
    assert.equal(p.cost_usd.settings.threshold, 7);
    assert.equal(p.cost_usd.settings.fire_k, 2);
    assert.equal(p.cost_usd.settings.fire_n, METRIC_DEFAULTS.cost_usd.settings.fire_n);
    assert.equal(p.cost_usd.settings.direction, 'up');
    assert.equal(p.eval_score.settings.enabled, false);
    assert.deepEqual(p.requests, METRIC_DEFAULTS.requests);
  });

  it('keep fire_k ≤ fire_n when only fire_n is lowered', () => {
    assert.equal(resolveMetricProfiles({ error_rate: { fire_n: 2 } }).error_rate.settings.fire_k, 2);
  });
});

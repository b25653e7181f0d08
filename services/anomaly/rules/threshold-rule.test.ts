import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import type { AlertEvent } from '../types.ts';
import { quotedSeriesLabel } from '../series-label.ts';
import { createThresholdRule, type SeriesMinute } from './threshold-rule.ts';
import { alertsFile, MINUTE, row } from '../../../test/support/anomaly/rule-inputs.ts';

const T0 = Date.UTC(2026, 2, 10, 9);
const threshold = (t: Record<string, unknown>) => alertsFile({ thresholds: [{ name: 'rule', ...t }] }).thresholds[0];
const errorRate = threshold({ name: 'errors', metric: 'error_rate', feature: 'support-chat', above: 0.05, for_minutes: 3, min_requests: 10 });

/** Feeds one row per minute (error rate given as errors per 100 requests; null = no row) and returns the events by minute index. */
function run(rule = errorRate, errorsPer100: (number | null)[], lifecycle = createAlertLifecycle({ repeatIntervalMs: 0 })) {
  const t = createThresholdRule(rule, lifecycle);
  const out: [number, AlertEvent][] = [];
  errorsPer100.forEach((errors, i) => {
    const minute = T0 + i * MINUTE;
    const rows: SeriesMinute[] = errors === null ? [] : [row(rule.feature, rule.model, minute, { requests: 100, errors })];
    const e = t.onMinute(minute, rows);
    if (e) out.push([i, e]);
  });
  return out;
}
const states = (events: [number, AlertEvent][]) => events.map(([i, e]) => [i, e.state, e.previous]);

describe('threshold rules', () => {
  it('go pending on the first breach, fire after for_minutes in a row, resolve after for_minutes within', () => {
    const events = run(errorRate, [1, 9, 9, 9, 9, 2, 2, 9, 2, 2, 2, 9]);
    assert.deepEqual(states(events), [
      [1, 'pending', null],
      [3, 'firing', 'pending'],
      [10, 'resolved', 'firing'],
      [11, 'pending', null],
    ]);
    const [, firing] = events[1];
    assert.deepEqual(firing.key, { rule: 'errors', metric: 'error_rate', feature: 'support-chat', model: '*' });
    assert.deepEqual([firing.value, firing.expected, firing.direction, firing.severity, firing.detector, firing.score], [0.09, 0.05, 'up', 'critical', 'threshold', 1]);
    assert.equal(firing.at, T0 + 4 * MINUTE, 'at = end of the minute that fired');
    assert.equal(firing.started_at, T0 + 2 * MINUTE, 'started when it went pending');
    assert.equal(firing.deviation, '9 % > 5 %');
    assert.equal(firing.summary, 'The error rate of feature "support-chat" is 9 %, above the 5 % limit of threshold "errors" (3 minutes in a row).');
    const [, resolved] = events[2];
    assert.equal(resolved.deviation, '2 %, within <= 5 %');
    assert.equal(resolved.summary, 'The error rate of feature "support-chat" is 2 %, within threshold "errors" (<= 5 %) for 3 minutes.');
  });

  it('a pending alert that does not make it to for_minutes resolves at the first minute within the limit', () => {
    assert.deepEqual(states(run(errorRate, [9, 9, 1, 1])), [
      [0, 'pending', null],
      [2, 'resolved', 'pending'],
    ]);
  });

  it('minutes under min_requests are not judged: they neither extend nor break a streak', () => {
    const rule = errorRate;
    const t = createThresholdRule(rule, createAlertLifecycle({ repeatIntervalMs: 0 }));
    const feed = (i: number, requests: number, errors: number) => t.onMinute(T0 + i * MINUTE, [row('support-chat', '*', T0 + i * MINUTE, { requests, errors })]);
    assert.equal(feed(0, 100, 9)?.state, 'pending');
    assert.equal(feed(1, 5, 5), null, '100 % errors over 5 requests is not judged');
    assert.equal(feed(2, 5, 0), null);
    assert.equal(feed(3, 100, 9), null);
    assert.equal(feed(4, 100, 9)?.state, 'firing', 'third judged breach');
  });

  it('"*" in a rule means the aggregated series, never each feature', () => {
    const all = threshold({ metric: 'error_rate', above: 0.05, for_minutes: 1 });
    assert.equal(quotedSeriesLabel(all), 'all traffic');
    const t = createThresholdRule(all, createAlertLifecycle({ repeatIntervalMs: 0 }));
    const rows = [row('support-chat', '*', T0, { requests: 100, errors: 50 }), row('support-chat', 'gpt-4o', T0, { requests: 100, errors: 50 }), row('*', '*', T0, { requests: 1000, errors: 10 })];
    assert.equal(t.onMinute(T0, rows), null, 'all traffic is at 1 %');
    const e = t.onMinute(T0 + MINUTE, [row('*', '*', T0 + MINUTE, { requests: 1000, errors: 60, prompt_versions: ['v3', 'v2'] })]);
    assert.deepEqual([e?.state, e?.key.feature, e?.key.model, e?.prompt_version], ['firing', '*', '*', 'v3']);
    assert.match(e?.summary ?? '', /^The error rate of all traffic is 6 %/);

    const oneModel = threshold({ metric: 'latency_p95_ms', feature: 'support-chat', model: 'gpt-4o', above: 5000, for_minutes: 1 });
    const m = createThresholdRule(oneModel, createAlertLifecycle({ repeatIntervalMs: 0 }));
    const e2 = m.onMinute(T0, [row('support-chat', '*', T0, { requests: 10, latency_p95_ms: 9000 }), row('support-chat', 'gpt-4o', T0, { requests: 10, latency_p95_ms: 7000 })]);
    assert.deepEqual([e2?.value, e2?.deviation], [7000, '7000 ms > 5000 ms']);
  });

  it('a series without a row had no events: with min_requests 0 a traffic stop fires', () => {
    const silence = threshold({ metric: 'requests', feature: 'support-chat', below: 1, for_minutes: 2, min_requests: 0, severity: 'warning' });
    const t = createThresholdRule(silence, createAlertLifecycle({ repeatIntervalMs: 0 }));
    assert.equal(t.onMinute(T0, [row('support-chat', '*', T0, { requests: 30 })]), null);
    assert.equal(t.onMinute(T0 + MINUTE, [])?.state, 'pending');
    const e = t.onMinute(T0 + 2 * MINUTE, [row('code-assist', '*', T0 + 2 * MINUTE, { requests: 30 })]);
    assert.deepEqual([e?.state, e?.direction, e?.value, e?.expected, e?.severity], ['firing', 'down', 0, 1, 'warning']);
    assert.deepEqual(e?.recent, [30, 0, 0]);
  });

  it('quality thresholds are judged on eval volume and fire below the limit', () => {
    const quality = threshold({ metric: 'eval_score', feature: 'support-chat', below: 0.7, for_minutes: 1, min_requests: 5 });
    const t = createThresholdRule(quality, createAlertLifecycle({ repeatIntervalMs: 0 }));
    assert.equal(t.onMinute(T0, [row('support-chat', '*', T0, { requests: 500, eval_count: 4, eval_sum: 0 })]), null, '4 evals < 5');
    const e = t.onMinute(T0 + MINUTE, [row('support-chat', '*', T0 + MINUTE, { requests: 0, eval_count: 10, eval_sum: 6 })]);
    assert.deepEqual([e?.state, e?.value, e?.deviation], ['firing', 0.6, '0.6 < 0.7']);
  });

  it('carries the last 60 minute values, oldest first, with nulls for minutes it did not see', () => {
    const rule = threshold({ metric: 'requests', above: 1_000_000, for_minutes: 1, min_requests: 0 });
    const lc = createAlertLifecycle({ repeatIntervalMs: 0 });
    const t = createThresholdRule(rule, lc);
    for (let i = 0; i < 70; i++) t.onMinute(T0 + i * MINUTE, [row('*', '*', T0 + i * MINUTE, { requests: i })]);
    // minutes 70-72 never came (the service was down)
    const e = t.onMinute(T0 + 73 * MINUTE, [row('*', '*', T0 + 73 * MINUTE, { requests: 2_000_000 })]);
    assert.equal(e?.recent.length, 60);
    assert.deepEqual(e?.recent.slice(-5), [69, null, null, null, 2_000_000]);
    assert.equal(e?.recent[0], 14);
  });

  it('ignores a minute it has already judged (a replay must not extend a streak)', () => {
    const t = createThresholdRule(errorRate, createAlertLifecycle({ repeatIntervalMs: 0 }));
    const r = [row('support-chat', '*', T0, { requests: 100, errors: 9 })];
    assert.equal(t.onMinute(T0, r)?.state, 'pending');
    assert.equal(t.onMinute(T0, r), null);
    assert.equal(t.onMinute(T0 + MINUTE, [row('support-chat', '*', T0 + MINUTE, { requests: 100, errors: 9 })]), null, 'second breach of three');
  });

  it('reminds every repeat interval while firing, also during minutes that are back within the limit', () => {
    const lc = createAlertLifecycle({ repeatIntervalMs: 5 * MINUTE });
    const events = run(threshold({ metric: 'error_rate', feature: 'support-chat', above: 0.05, for_minutes: 3, min_requests: 1 }), [9, 9, 9, 9, 9, 9, 9, 9, 1, 9], lc);
    assert.deepEqual(states(events), [
      [0, 'pending', null],
      [2, 'firing', 'pending'],
      [7, 'firing', 'firing'],
    ]);
  });

  it('a firing alert restored from storage continues silently and resolves after for_minutes within the limit', () => {
    const before = run(errorRate, [9, 9, 9]);
    const lc = createAlertLifecycle({ repeatIntervalMs: 60 * MINUTE });
    lc.restore(before.map(([, e]) => e));
    const t = createThresholdRule(errorRate, lc);
    const feed = (i: number, errors: number) => t.onMinute(T0 + i * MINUTE, [row('support-chat', '*', T0 + i * MINUTE, { requests: 100, errors })]);
    assert.equal(feed(3, 9), null, 'no second "firing" after a restart');
    assert.equal(feed(4, 1), null);
    assert.equal(feed(5, 1), null);
    const e = feed(6, 1);
    assert.deepEqual([e?.state, e?.previous, e?.started_at], ['resolved', 'firing', T0 + MINUTE]);
  });
});

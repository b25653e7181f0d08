import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import type { AlertEvent } from '../types.ts';
import { createUnpricedRule, unpricedKey } from './unpriced-rule.ts';
import { HOUR, MINUTE } from '../../../test/support/anomaly/rule-inputs.ts';

const T0 = Date.UTC(2026, 2, 10, 9);
const counts = (o: Record<string, number>) => new Map(Object.entries(o));

describe('unpriced model alerts', () => {
  it('fire on the first unpriced event, once per model', () => {
    const rule = createUnpricedRule(createAlertLifecycle({ repeatIntervalMs: 4 * HOUR }), { severity: 'warning' });
    const [e, ...rest] = rule.onMinute(T0, counts({ 'acme-llm-7b': 3, 'gpt-4o': 0 }));
    assert.deepEqual(rest, []);
    assert.deepEqual(e.key, { rule: 'unpriced_model', metric: 'unpriced_model', feature: '*', model: 'acme-llm-7b' });
    assert.deepEqual([e.state, e.previous, e.severity, e.value, e.expected, e.at, e.detector], ['firing', null, 'warning', 3, 0, T0 + MINUTE, 'unpriced']);
    assert.equal(e.deviation, '3 unpriced events in the minute');
    assert.match(e.summary, /^Model "acme-llm-7b" has 3 events without a price in the last minute/);
    assert.deepEqual(rule.onMinute(T0 + MINUTE, counts({ 'acme-llm-7b': 1 })), [], 'already firing');
  });

  it('resolve after 60 quiet minutes, and a new event in between restarts the quiet hour', () => {
    const rule = createUnpricedRule(createAlertLifecycle({ repeatIntervalMs: 0 }), { severity: 'critical' });
    const seen: [number, AlertEvent][] = [];
    const hits = new Set([0, 30]);
    for (let i = 0; i <= 120; i++) for (const e of rule.onMinute(T0 + i * MINUTE, counts(hits.has(i) ? { m: 1 } : {}))) seen.push([i, e]);
    assert.deepEqual(seen.map(([i, e]) => [i, e.state, e.previous]), [
      [0, 'firing', null],
      [90, 'resolved', 'firing'],
    ]);
    const resolved = seen[1][1];
    assert.deepEqual([resolved.value, resolved.started_at, resolved.at, resolved.severity], [0, T0 + MINUTE, T0 + 91 * MINUTE, 'critical']);
    assert.equal(resolved.recent.length, 60);
    assert.ok(resolved.recent.every((v) => v === 0));
    assert.equal(resolved.summary, 'Model "m" has had no events without a price for 60 minutes.');
  });

  it('the quiet period is configurable', () => {
    const rule = createUnpricedRule(createAlertLifecycle({ repeatIntervalMs: 0 }), { severity: 'warning', quietMinutes: 5 });
    rule.onMinute(T0, counts({ m: 2 }));
    for (let i = 1; i < 5; i++) assert.deepEqual(rule.onMinute(T0 + i * MINUTE, counts({})), []);
    assert.deepEqual(rule.onMinute(T0 + 5 * MINUTE, counts({})).map((e) => e.state), ['resolved']);
  });

  it('after a restart a restored alert is not re-sent and its quiet hour starts at the first minute judged', () => {
    const first = createAlertLifecycle({ repeatIntervalMs: 4 * HOUR });
    const stored = createUnpricedRule(first, { severity: 'warning' }).onMinute(T0, counts({ m: 1 }));
    const lc = createAlertLifecycle({ repeatIntervalMs: 4 * HOUR });
    lc.restore(stored);
    const rule = createUnpricedRule(lc, { severity: 'warning' });
    const restart = T0 + 2 * HOUR; // far more than an hour after the last event we know of
    assert.deepEqual(rule.onMinute(restart, counts({})), [], 'not resolved early on what happened while down');
    for (let i = 1; i < 60; i++) assert.deepEqual(rule.onMinute(restart + i * MINUTE, counts({})), []);
    const [e] = rule.onMinute(restart + 60 * MINUTE, counts({}));
    assert.deepEqual([e.state, e.previous, e.started_at, e.key], ['resolved', 'firing', T0 + MINUTE, unpricedKey('m')]);
    assert.equal(lc.stateOf(unpricedKey('m')), null);
  });

  it('keeps reminding on the repeat interval while unpriced events keep coming', () => {
    const rule = createUnpricedRule(createAlertLifecycle({ repeatIntervalMs: 30 * MINUTE }), { severity: 'warning' });
    const states: [number, string, string | null][] = [];
    for (let i = 0; i <= 60; i++) for (const e of rule.onMinute(T0 + i * MINUTE, counts({ m: 1 }))) states.push([i, e.state, e.previous]);
    assert.deepEqual(states, [
      [0, 'firing', null],
      [30, 'firing', 'firing'],
      [60, 'firing', 'firing'],
    ]);
  });
});

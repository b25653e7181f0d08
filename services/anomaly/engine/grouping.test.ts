import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertEvent, AlertState, MetricName } from '../types.ts';
import { groupAlertEvents, groupId, isNotifiable } from './grouping.ts';

let n = 0;
function ev(feature: string, model: string, state: AlertState, previous: AlertState | null, metric: MetricName = 'error_rate', covered_by: string | null = null): AlertEvent {
  return {
    alert_id: `id-${n++}`,
    key: { rule: 'anomaly', metric, feature, model },
    state,
    previous,
    at: 0,
    started_at: 0,
    severity: 'critical',
    direction: 'up',
    value: 0.5,
    expected: 0.005,
    score: 1,
    deviation: '',
    recent: [],
    detector: 'proportion',
    summary: '',
    covered_by,
  };
}

describe('groupAlertEvents', () => {
  it('only notifiable events: firing and resolves of firing alerts, never pending or covered', () => {
    assert.equal(isNotifiable(ev('a', 'm', 'pending', null)), false);
    assert.equal(isNotifiable(ev('a', 'm', 'resolved', 'pending')), false);
    assert.equal(isNotifiable(ev('a', 'm', 'firing', 'pending', 'error_rate', 'anomaly|error_rate|a|*')), false);
    assert.equal(isNotifiable(ev('a', 'm', 'firing', 'pending')), true);
    assert.equal(isNotifiable(ev('a', 'm', 'firing', 'firing')), true, 'a reminder');
    assert.equal(isNotifiable(ev('a', 'm', 'resolved', 'firing')), true);
    assert.deepEqual(groupAlertEvents([ev('a', 'm', 'pending', null), ev('a', '*', 'firing', null, 'error_rate', 'x')], 3), []);
  });

  it('one model failing across many features is one group', () => {
    const outage = ['f1', 'f2', 'f3', 'f4'].map((f) => ev(f, 'gpt-4o', 'firing', 'pending'));
    const other = ev('f5', 'mini', 'firing', 'pending', 'cost_usd');
    const groups = groupAlertEvents([...outage, other], 3);
    assert.equal(groups.length, 2);
    assert.deepEqual(groups[0].common, { rule: 'anomaly', metric: 'error_rate', model: 'gpt-4o', state: 'firing' });
    assert.equal(groups[0].events.length, 4);
    assert.equal(groups[1].events[0], other);
  });

  it('below minFeatures the events go one by one; firing and resolved never mix', () => {
    const groups = groupAlertEvents([ev('f1', 'gpt-4o', 'firing', 'pending'), ev('f2', 'gpt-4o', 'firing', 'pending'), ev('f3', 'gpt-4o', 'resolved', 'firing')], 3);
    assert.equal(groups.length, 3);
  });

  it('falls back to metric + state across models', () => {
    const groups = groupAlertEvents([ev('f1', 'a', 'firing', null), ev('f2', 'b', 'firing', null), ev('f3', 'c', 'firing', null)], 3);
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0].common, { rule: 'anomaly', metric: 'error_rate', state: 'firing' });
  });

  it('group ids are deterministic from the member alert ids', () => {
    const a = ev('f1', 'm', 'firing', null);
    const b = ev('f2', 'm', 'firing', null);
    assert.equal(groupId([a, b]), groupId([b, a]));
    assert.notEqual(groupId([a]), groupId([b]));
    const g1 = groupAlertEvents([a, b, ev('f3', 'm', 'firing', null)], 3)[0].group_id;
    assert.match(g1, /^[0-9a-f]{32}$/);
  });
});

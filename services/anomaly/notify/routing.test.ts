import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeSchema, type RouteConfig } from '../config/alerts-file.ts';
import { isNotifiable, notifiablePart } from './notifiable.ts';
import { routeGroup } from './routing.ts';
import { alertEvent, alertGroup } from '../../../test/support/anomaly/alert-events.ts';

const route = (r: unknown): RouteConfig => routeSchema.parse(r);
const receivers = ['oncall', 'team-search', 'finance', 'audit'].map((name) => ({ name }));

describe('isNotifiable', () => {
  it('tells people about firing (new and reminders) and about resolved alerts that fired', () => {
    assert.equal(isNotifiable(alertEvent({ state: 'firing', previous: null })), true);
    assert.equal(isNotifiable(alertEvent({ state: 'firing', previous: 'pending' })), true);
    assert.equal(isNotifiable(alertEvent({ state: 'firing', previous: 'firing' })), true);
    assert.equal(isNotifiable(alertEvent({ state: 'resolved', previous: 'firing' })), true);
  });

  it('keeps quiet about pending, pending → resolved and covered events', () => {
    assert.equal(isNotifiable(alertEvent({ state: 'pending', previous: null })), false);
    assert.equal(isNotifiable(alertEvent({ state: 'resolved', previous: 'pending' })), false);
    assert.equal(isNotifiable(alertEvent({ state: 'firing', previous: 'pending', covered_by: 'anomaly|cost_usd|checkout|*' })), false);
  });

  it('notifiablePart drops the silent events of a group, and the group when none is left', () => {
    const loud = alertEvent({ key: { feature: 'a' } });
    const quiet = alertEvent({ key: { feature: 'b' }, state: 'pending', previous: null });
    assert.deepEqual(notifiablePart(alertGroup([loud, quiet]))?.events, [loud]);
    assert.equal(notifiablePart(alertGroup([quiet])), null);
  });
});

describe('routeGroup', () => {
  const routes = [
    route({ match: { feature: 'search*' }, receivers: ['team-search'], continue: true }),
    route({ match: { metric: ['cost_usd', 'budget_*'] }, receivers: ['finance'] }),
    route({ match: { severity: 'critical' }, receivers: ['oncall'] }),
    route({ receivers: ['audit'] }),
  ];

  it('stops at the first matching route unless it says continue', () => {
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ key: { feature: 'checkout', metric: 'cost_usd' } })]), routes, receivers), ['finance']);
    // search* continues, then cost_usd matches and stops: oncall is not reached
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ key: { feature: 'search-v2', metric: 'cost_usd' } })]), routes, receivers), ['team-search', 'finance']);
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ key: { metric: 'error_rate' }, severity: 'warning' })]), routes, receivers), ['audit']);
  });

  it('matches severity exactly and globs on rule and model', () => {
    const r = [route({ match: { rule: 'budget-*', model: 'gpt-4?' }, receivers: ['finance'] }), route({ match: { severity: 'warning' }, receivers: ['audit'] })];
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ key: { rule: 'budget-eu', model: 'gpt-4o' } })]), r, receivers), ['finance']);
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ key: { rule: 'budget-eu', model: 'gpt-4-turbo' }, severity: 'critical' })]), r, receivers), []);
    assert.deepEqual(routeGroup(alertGroup([alertEvent({ severity: 'warning' })]), r, receivers), ['audit']);
  });

  it('is the union over the group events, in receiver order, without duplicates', () => {
    const g = alertGroup([
      alertEvent({ key: { feature: 'checkout', metric: 'error_rate' }, severity: 'critical' }),
      alertEvent({ key: { feature: 'search', metric: 'error_rate' }, severity: 'critical' }),
      alertEvent({ key: { feature: 'other', metric: 'error_rate' }, severity: 'critical' }),
    ]);
    assert.deepEqual(routeGroup(g, routes, receivers), ['oncall', 'team-search']);
  });

  it('routes only notifiable events: a pending or covered event reaches nobody', () => {
    const pending = alertEvent({ key: { feature: 'search' }, state: 'pending', previous: null });
    const covered = alertEvent({ key: { feature: 'search' }, covered_by: 'x' });
    assert.deepEqual(routeGroup(alertGroup([pending, covered]), routes, receivers), []);
  });

  it('no routes, or no matching route, means no receivers', () => {
    assert.deepEqual(routeGroup(alertGroup([alertEvent()]), [], receivers), []);
    assert.deepEqual(routeGroup(alertGroup([alertEvent()]), [route({ match: { feature: 'nope' }, receivers: ['oncall'] })], receivers), []);
  });

  it('drops receiver names that are not configured', () => {
    assert.deepEqual(routeGroup(alertGroup([alertEvent()]), [route({ receivers: ['ghost', 'oncall'] })], receivers), ['oncall']);
  });
});

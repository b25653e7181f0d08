import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAlertLifecycle } from '../lifecycle/alert-lifecycle.ts';
import { alertKeyString } from '../types.ts';
import { budgetKeys, evaluateBudget, judgeBudget, periodBounds } from './budget-rule.ts';
import { alertsFile, DAY, HOUR, MINUTE } from '../../../test/support/anomaly/rule-inputs.ts';

const daily = alertsFile({ budgets: [{ name: 'support-daily', feature: 'support-chat', daily_usd: 50 }] }).budgets[0];
const monthly = alertsFile({ budgets: [{ name: 'all-monthly', monthly_usd: 3000, warn_on_projection: false }] }).budgets[0];
const NOON = Date.UTC(2026, 2, 10, 12);
const spend = (day_usd: number, month_usd = day_usd) => ({ day_usd, month_usd });

describe('budget periods', () => {
  it('are UTC days and calendar months, end exclusive', () => {
    assert.deepEqual(periodBounds('daily', Date.UTC(2026, 2, 10, 23, 59, 59, 999)), { start: Date.UTC(2026, 2, 10), end: Date.UTC(2026, 2, 11) });
    assert.deepEqual(periodBounds('daily', Date.UTC(2026, 2, 11)), { start: Date.UTC(2026, 2, 11), end: Date.UTC(2026, 2, 12) });
    assert.deepEqual(periodBounds('monthly', Date.UTC(2028, 1, 29, 8)), { start: Date.UTC(2028, 1, 1), end: Date.UTC(2028, 2, 1) });
    assert.deepEqual(periodBounds('monthly', Date.UTC(2026, 11, 31, 23)), { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
  });
});

describe('budget judgement', () => {
  it('only judges the periods the budget sets', () => {
    assert.deepEqual(judgeBudget(daily, spend(1, 999_999), NOON).map((j) => j.period), ['daily']);
    assert.deepEqual(judgeBudget(monthly, spend(999_999, 1), NOON).map((j) => j.period), ['monthly']);
  });

  it('is ok under warn_at, warning at warn_at, critical at 100 %', () => {
    const at = (usd: number) => judgeBudget({ ...daily, warn_on_projection: false }, spend(usd), NOON)[0];
    assert.equal(at(39.99).level, 'ok');
    assert.deepEqual([at(40).level, at(40).warn_reason, at(40).share], ['warning', 'share', 0.8]);
    assert.deepEqual([at(49.99).level, at(50).level, at(80).level], ['warning', 'critical', 'critical']);
    assert.equal(at(80).warn, true, 'the warning condition still holds above 100 %');
  });

  it('warns on a linear projection over the budget, but not in the first 10 % of the period', () => {
    const six = Date.UTC(2026, 2, 10, 6); // a quarter of the day
    const j = judgeBudget(daily, spend(15), six)[0];
    assert.equal(j.elapsed, 0.25);
    assert.equal(j.projected_usd, 60);
    assert.deepEqual([j.level, j.warn_reason], ['warning', 'projection']);
    assert.equal(judgeBudget(daily, spend(12), six)[0].level, 'ok', '$48 projected is within $50');
    assert.equal(judgeBudget({ ...daily, warn_on_projection: false }, spend(15), six)[0].level, 'ok');
    // 00:05 and one expensive call: 2.4 h is under 10 % of the day, no projection
    const early = judgeBudget(daily, spend(2), Date.UTC(2026, 2, 10, 0, 5))[0];
    assert.deepEqual([early.projected_usd, early.level], [null, 'ok']);
    assert.equal(judgeBudget(daily, spend(2), Date.UTC(2026, 2, 10, 2, 24))[0].projected_usd, 20);
  });

  it('projects a month over its own length', () => {
    const j = judgeBudget({ ...monthly, warn_on_projection: true }, spend(0, 1000), Date.UTC(2026, 1, 8)); // 7 of 28 days
    assert.equal(j[0].elapsed, 0.25);
    assert.equal(j[0].projected_usd, 4000);
    assert.equal(j[0].level, 'warning');
  });
});

describe('budget alerts', () => {
  const repeatIntervalMs = 4 * HOUR;

  it('warns once, escalates to critical as a new alert, reminds with the warning covered, resolves at the next UTC day', () => {
    const lc = createAlertLifecycle({ repeatIntervalMs });
    const keys = budgetKeys(daily, 'budget_daily');
    assert.deepEqual(keys.critical, { rule: 'support-daily', metric: 'budget_daily', feature: 'support-chat', model: '*' });
    assert.deepEqual(keys.warning, { rule: 'support-daily/warn', metric: 'budget_daily', feature: 'support-chat', model: '*' });

    assert.deepEqual(evaluateBudget(lc, daily, spend(20), NOON), [], '40 % at noon projects to 80 %');

    const [warn] = evaluateBudget(lc, daily, spend(41), NOON + HOUR);
    assert.deepEqual([warn.key, warn.state, warn.previous, warn.severity], [keys.warning, 'firing', null, 'warning']);
    assert.equal(warn.deviation, '82 % of $50.00 daily budget');
    assert.equal(warn.summary, 'Feature "support-chat" has spent $41.00 today (UTC), 82 % of its $50.00 daily budget "support-daily" (warning at 80 %).');
    assert.deepEqual([warn.value, warn.expected, warn.recent, warn.detector, warn.direction, warn.covered_by], [41, 50, [], 'budget', 'up', null]);
    assert.equal(warn.at, NOON + HOUR);

    assert.deepEqual(evaluateBudget(lc, daily, spend(45), NOON + HOUR + MINUTE), [], 'still a warning: nothing new');

    const [crit, ...rest] = evaluateBudget(lc, daily, spend(55), NOON + 2 * HOUR);
    assert.deepEqual(rest, []);
    assert.deepEqual([crit.key, crit.state, crit.previous, crit.severity], [keys.critical, 'firing', null, 'critical']);
    assert.equal(crit.deviation, '110 % of $50.00 daily budget');
    assert.match(crit.summary, /spent \$55\.00 today \(UTC\), 110 % of its \$50\.00 daily budget "support-daily": over budget\.$/);

    // 4 h after the warning and after the critical: reminders; the warning's is covered by the critical
    const reminders = evaluateBudget(lc, daily, spend(70), NOON + 6 * HOUR);
    assert.deepEqual(reminders.map((e) => [e.key.rule, e.state, e.previous, e.covered_by ?? null]), [
      ['support-daily', 'firing', 'firing', null],
      ['support-daily/warn', 'firing', 'firing', alertKeyString(keys.critical)],
    ]);

    // next UTC day: spend starts from zero, both resolve; the warning's resolution is covered too
    const midnight = Date.UTC(2026, 2, 11, 0, 1);
    const resolved = evaluateBudget(lc, daily, spend(0.3), midnight);
    assert.deepEqual(resolved.map((e) => [e.key.rule, e.state, e.previous, e.covered_by ?? null]), [
      ['support-daily', 'resolved', 'firing', null],
      ['support-daily/warn', 'resolved', 'firing', alertKeyString(keys.critical)],
    ]);
    assert.equal(resolved[0].started_at, NOON + 2 * HOUR);
    assert.match(resolved[0].summary, /^New day \(UTC\): the daily budget "support-daily" starts again; \$0\.30 spent so far\.$/);
    assert.deepEqual(lc.open(), []);
    assert.deepEqual(evaluateBudget(lc, daily, spend(0.5), midnight + HOUR), []);
  });

  it('a projection warning stays until the period ends even when the projection falls back', () => {
    const lc = createAlertLifecycle({ repeatIntervalMs: 0 });
    const six = Date.UTC(2026, 2, 10, 6);
    const [warn] = evaluateBudget(lc, daily, spend(15), six);
    assert.equal(warn.deviation, '30 % of $50.00 daily budget, on track for $60.00 (120 %)');
    assert.match(warn.summary, /; at this rate it is on track for \$60\.00 \(120 %\) by the end of the day\.$/);
    // a quiet afternoon: $16 by 18:00 projects to $21 — no "resolved" flapping
    assert.deepEqual(evaluateBudget(lc, daily, spend(16), six + 12 * HOUR), []);
    assert.equal(lc.stateOf(budgetKeys(daily, 'budget_daily').warning), 'firing');
    const [reset] = evaluateBudget(lc, daily, spend(0), Date.UTC(2026, 2, 11));
    assert.deepEqual([reset.state, reset.previous], ['resolved', 'firing']);
  });

  it('a monthly budget crosses the month boundary: over budget on the 31st, resolved on the 1st', () => {
    const lc = createAlertLifecycle({ repeatIntervalMs });
    const events = evaluateBudget(lc, monthly, spend(200, 3100), Date.UTC(2026, 0, 31, 23, 59));
    assert.deepEqual(events.map((e) => [e.key.rule, e.key.metric, e.key.feature, e.state, e.severity]), [
      ['all-monthly', 'budget_monthly', '*', 'firing', 'critical'],
      ['all-monthly/warn', 'budget_monthly', '*', 'firing', 'warning'],
    ]);
    assert.equal(events[0].summary, 'All features together have spent $3,100.00 this month (UTC), 103 % of the $3,000.00 monthly budget "all-monthly": over budget.');
    assert.equal(events[1].covered_by, alertKeyString(events[0].key), 'jumping straight past 100 % notifies once');
    const feb = evaluateBudget(lc, monthly, spend(1, 1), Date.UTC(2026, 1, 1, 0, 0));
    assert.deepEqual(feb.map((e) => [e.key.rule, e.state]), [
      ['all-monthly', 'resolved'],
      ['all-monthly/warn', 'resolved'],
    ]);
    assert.match(feb[0].summary, /^New month \(UTC\): the monthly budget "all-monthly" starts again/);
  });

  it('an alert restored from storage continues without a new notification and resets at the next period', () => {
    const first = createAlertLifecycle({ repeatIntervalMs });
    const stored = evaluateBudget(first, daily, spend(60), NOON);
    assert.equal(stored.length, 2);

    const lc = createAlertLifecycle({ repeatIntervalMs });
    lc.restore(stored);
    assert.deepEqual(evaluateBudget(lc, daily, spend(61), NOON + MINUTE), []);
    const next = evaluateBudget(lc, daily, spend(0), NOON + DAY);
    assert.deepEqual(next.map((e) => [e.key.rule, e.state, e.started_at]), [
      ['support-daily', 'resolved', NOON],
      ['support-daily/warn', 'resolved', NOON],
    ]);
  });

  it('a new period that is over budget at its first check resolves the old alert and opens a new one', () => {
    const lc = createAlertLifecycle({ repeatIntervalMs });
    evaluateBudget(lc, { ...daily, warn_on_projection: false }, spend(60), NOON);
    const next = evaluateBudget(lc, { ...daily, warn_on_projection: false }, spend(51), NOON + DAY);
    assert.deepEqual(next.map((e) => [e.key.rule, e.state, e.previous, e.started_at]), [
      ['support-daily', 'resolved', 'firing', NOON],
      ['support-daily', 'firing', null, NOON + DAY],
      ['support-daily/warn', 'resolved', 'firing', NOON],
      ['support-daily/warn', 'firing', null, NOON + DAY],
    ]);
    assert.equal(new Set(next.map((e) => e.alert_id)).size, 4);
  });
});

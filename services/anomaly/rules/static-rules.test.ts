import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AlertEvent } from '../types.ts';
import { createStaticRules, unpricedByModel, type SeriesMinute } from './static-rules.ts';
import { alertsFile, HOUR, MINUTE, row } from '../../../test/support/anomaly/rule-inputs.ts';

const T0 = Date.UTC(2026, 2, 10, 12);
const file = alertsFile({
  budgets: [
    { name: 'support-daily', feature: 'support-chat', daily_usd: 50 },
    { name: 'all-monthly', monthly_usd: 3000 },
  ],
  thresholds: [{ name: 'errors', metric: 'error_rate', feature: 'support-chat', above: 0.05, for_minutes: 2 }],
  unpriced_models: { severity: 'critical' },
});

/** A minute as the aggregator emits it: finest rows plus the (feature, *) and (*, *) roll-ups. */
function minuteRows(minute: number, o: { errors?: number; unpriced?: number } = {}): SeriesMinute[] {
  const a = { requests: 100, errors: o.errors ?? 0, unpriced: o.unpriced ?? 0 };
  return [row('support-chat', 'acme-llm-7b', minute, a), row('support-chat', '*', minute, a), row('*', '*', minute, a)];
}
const brief = (events: AlertEvent[]) => events.map((e) => [e.key.rule, e.key.model, e.state, e.previous]);

describe('static rules', () => {
  it('judge thresholds and unpriced models on each closed minute through one lifecycle', () => {
    const rules = createStaticRules(file, { repeatIntervalMinutes: 240 });
    assert.deepEqual(brief(rules.onMinute(T0, minuteRows(T0, { errors: 10, unpriced: 2 }))), [
      ['errors', '*', 'pending', null],
      ['unpriced_model', 'acme-llm-7b', 'firing', null],
    ]);
    const [e, ...rest] = rules.onMinute(T0 + MINUTE, minuteRows(T0 + MINUTE, { errors: 10, unpriced: 2 }));
    assert.deepEqual(rest, []);
    assert.deepEqual([e.key.rule, e.state], ['errors', 'firing']);
    assert.deepEqual(rules.open().map((o) => [o.key.rule, o.state]).sort(), [
      ['errors', 'firing'],
      ['unpriced_model', 'firing'],
    ]);
  });

  it('count unpriced events per model from the finest rows only', () => {
    const rows = [...minuteRows(T0, { unpriced: 2 }), row('code-assist', 'acme-llm-7b', T0, { unpriced: 1 }), row('code-assist', 'gpt-4o', T0, { requests: 5 })];
    assert.deepEqual([...unpricedByModel(rows)], [['acme-llm-7b', 3]]);
  });

  it('check budgets against the spend of their feature, "*" for all features, a missing feature having spent 0', () => {
    const rules = createStaticRules(file, { repeatIntervalMinutes: 240 });
    assert.deepEqual(rules.checkBudgets(T0, new Map([['*', { day_usd: 10, month_usd: 100 }]])), []);
    const events = rules.checkBudgets(T0 + MINUTE, new Map([
      ['*', { day_usd: 60, month_usd: 3100 }],
      ['support-chat', { day_usd: 42, month_usd: 400 }],
    ]));
    assert.deepEqual(events.map((e) => [e.key.rule, e.key.metric, e.key.feature, e.severity]), [
      ['support-daily/warn', 'budget_daily', 'support-chat', 'warning'],
      ['all-monthly', 'budget_monthly', '*', 'critical'],
      ['all-monthly/warn', 'budget_monthly', '*', 'warning'],
    ]);
  });

  it('restore: open alerts continue without re-alerting; other rules and rules gone from the file are ignored', () => {
    const before = createStaticRules(file, { repeatIntervalMinutes: 240 });
    const stored: AlertEvent[] = [
      ...before.onMinute(T0, minuteRows(T0, { errors: 10, unpriced: 1 })),
      ...before.onMinute(T0 + MINUTE, minuteRows(T0 + MINUTE, { errors: 10 })),
      ...before.checkBudgets(T0 + MINUTE, new Map([['support-chat', { day_usd: 55, month_usd: 55 }]])),
    ];
    assert.equal(stored.length, 5);
    const foreign = (rule: string): AlertEvent => ({ ...stored[0], key: { ...stored[0].key, rule }, alert_id: rule });

    const after = createStaticRules(file, { repeatIntervalMinutes: 240 });
    after.restore([...stored, foreign('anomaly'), foreign('deleted-rule')]);
    assert.deepEqual(after.open().map((o) => o.key.rule).sort(), ['errors', 'support-daily', 'support-daily/warn', 'unpriced_model']);
    const later = T0 + 10 * MINUTE;
    assert.deepEqual(after.onMinute(later, minuteRows(later, { errors: 10, unpriced: 1 })), []);
    assert.deepEqual(after.checkBudgets(later, new Map([['support-chat', { day_usd: 60, month_usd: 60 }]])), []);
    // the repeat interval is counted from the stored events
    const reminder = T0 + 4 * HOUR + MINUTE;
    assert.deepEqual(brief(after.onMinute(reminder, minuteRows(reminder, { errors: 10, unpriced: 1 }))), [
      ['errors', '*', 'firing', 'firing'],
      ['unpriced_model', 'acme-llm-7b', 'firing', 'firing'],
    ]);
  });

  it('with unpriced_models disabled, neither judges nor restores unpriced alerts', () => {
    const off = alertsFile({ unpriced_models: { enabled: false } });
    const rules = createStaticRules(off, { repeatIntervalMinutes: 240 });
    assert.deepEqual(rules.onMinute(T0, minuteRows(T0, { unpriced: 5 })), []);
    const on = createStaticRules(alertsFile(), { repeatIntervalMinutes: 240 });
    rules.restore(on.onMinute(T0, minuteRows(T0, { unpriced: 5 })));
    assert.deepEqual(rules.open(), []);
  });
});

describe('per-user budgets', () => {
  const perUser = alertsFile({ budgets: [{ name: 'user-daily', feature: 'support-chat', daily_usd: 5, per: 'user' }] });
  const spend = (entries: [string, number][]) => new Map([['user-daily', new Map(entries.map(([u, d]) => [u, { day_usd: d, month_usd: d }]))]]);

  it('one alert per user over the budget, naming the user; the feature total is not judged against it', () => {
    const rules = createStaticRules(perUser, { repeatIntervalMinutes: 240 });
    const events = rules.checkBudgets(T0, new Map([['support-chat', { day_usd: 1000, month_usd: 1000 }]]), spend([['ann', 6], ['ben', 4.5], ['cy', 1]]));
    assert.deepEqual(
      events.map((e) => [e.key.rule, e.key.feature, e.state, e.severity]),
      [
        ['user-daily/user=ann', 'support-chat', 'firing', 'critical'],
        ['user-daily/user=ann/warn', 'support-chat', 'firing', 'warning'],
        ['user-daily/user=ben/warn', 'support-chat', 'firing', 'warning'],
      ],
    );
    assert.match(events[0].summary, /^User "ann" of feature "support-chat" has spent \$6\.00 today \(UTC\), 120 % of the \$5\.00 per-user daily budget "user-daily"/);
  });

  it('a new day resets a user who has not spent yet (no longer in the spend), and a restart restores per-user alerts', () => {
    const rules = createStaticRules(perUser, { repeatIntervalMinutes: 240 });
    const fired = rules.checkBudgets(T0, new Map(), spend([['ann', 6]]));
    const nextDay = T0 + 24 * HOUR;
    const reset = rules.checkBudgets(nextDay, new Map(), spend([]));
    assert.deepEqual(reset.map((e) => [e.key.rule, e.state]), [
      ['user-daily/user=ann', 'resolved'],
      ['user-daily/user=ann/warn', 'resolved'],
    ]);
    const restarted = createStaticRules(perUser, { repeatIntervalMinutes: 240 });
    restarted.restore(fired);
    assert.deepEqual(restarted.open().map((o) => o.key.rule).sort(), ['user-daily/user=ann', 'user-daily/user=ann/warn']);
    const other = createStaticRules(alertsFile({ budgets: [{ name: 'user-daily', feature: 'other', daily_usd: 5, per: 'user' }] }), { repeatIntervalMinutes: 240 });
    other.restore(fired);
    assert.deepEqual(other.open(), [], 'a budget re-pointed to another feature does not take the old alerts');
  });
});

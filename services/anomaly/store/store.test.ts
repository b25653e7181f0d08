import { MINUTE_MS } from '../../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixtures, clickhouseTime, fixtureBase, toRow, type TraceFixture } from '../../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../../test/support/query/test-store.ts';
import { createAlertSink, type StoredAlert } from '../alert-sink.ts';
import { readMinutes } from './minute-history.ts';
import { readOpenAlerts } from './open-alerts.ts';
import { readProgress, writeProgress } from './progress.ts';
import { readSpend, readUserSpend } from './spend.ts';
import { ALL, type AlertEvent } from '../types.ts';

/** The anomaly service's reads and writes (store/) against the real embedded engine and the real migrations. */
let db: TestStore;
let base: number;
let fixtures: TraceFixture[];

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  fixtures = buildFixtures(base);
  await db.store.insert('traces', fixtures.map(toRow));
});
after(async () => db.close());

function expectedLevel(minute: number, feature: string, model: string) {
  const rows = fixtures.filter((t) => Math.floor(t.tsMs / MINUTE_MS) * MINUTE_MS === minute && (feature === ALL || t.feature === feature) && (model === ALL || t.model === model));
  return {
    requests: rows.length,
    errors: rows.filter((t) => t.status === 'error').length,
    unpriced: rows.filter((t) => t.costPico === null).length,
    cost_usd: rows.reduce((s, t) => s + Number(t.costPico ?? 0n) / 1e12, 0),
    tokens: rows.reduce((s, t) => s + t.input_tokens + t.output_tokens, 0),
  };
}

describe('readMinutes', () => {
  it('gives every minute of the range, each with all four series levels summed exactly from the rollup', async () => {
    const from = base;
    const to = base + 2 * 60 * MINUTE_MS;
    const minutes = await readMinutes(db.store, from, to);
    assert.equal(minutes.length, 120);
    assert.deepEqual(minutes.map((m) => m.minute), Array.from({ length: 120 }, (_, i) => from + i * MINUTE_MS));
    let checked = 0;
    for (const m of minutes) {
      for (const { series, agg } of m.rows) {
        const want = expectedLevel(m.minute, series.feature, series.model);
        assert.equal(agg.requests, want.requests, `${series.feature}/${series.model} @${m.minute}`);
        assert.equal(agg.errors, want.errors);
        assert.equal(agg.unpriced, want.unpriced);
        assert.equal(agg.tokens, want.tokens);
        assert.ok(Math.abs(agg.cost_usd - want.cost_usd) < 1e-9, `cost ${agg.cost_usd} vs ${want.cost_usd}`);
        assert.ok(agg.latency_p95_ms !== null && agg.latency_p95_ms > 0);
        checked++;
      }
      const total = m.rows.find((r) => r.series.feature === ALL && r.series.model === ALL);
      const anyTraffic = fixtures.some((t) => Math.floor(t.tsMs / MINUTE_MS) * MINUTE_MS === m.minute);
      assert.equal(total !== undefined, anyTraffic, 'the (*, *) series exists exactly for minutes with traffic');
    }
    assert.ok(checked > 100, `checked ${checked} series-minutes`);
  });

  it('counts eval scores and user feedback, feedback in its trace series', async () => {
    const t = fixtures[0];
    const minute = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 10 * MINUTE_MS;
    const score = (id: string, source: string, value: number | null, passed: number | null, withDims: boolean) => ({
      score_id: id, trace_id: t.trace_id, name: 'n', value, passed, source, status: 'ok', evaluator: 'e', rule: 'r', reason: '', comment: '',
      ts: clickhouseTime(minute + 5_000), trace_ts: null,
      feature: withDims ? t.feature : '', model: withDims ? t.model : '', prompt_version: '', environment: '', metadata: {},
    });
    await db.store.insert('scores', [score('e1', 'eval', 0.8, 1, true), score('e2', 'eval', 0.4, 0, true), score('u1', 'user', 0, 0, false), score('u2', 'user', 1, 1, false)]);
    const [m] = await readMinutes(db.store, minute, minute + MINUTE_MS);
    const specific = m.rows.find((r) => r.series.feature === t.feature && r.series.model === t.model)!;
    assert.equal(specific.agg.eval_count, 2);
    assert.ok(Math.abs(specific.agg.eval_sum - 1.2) < 1e-9);
    assert.equal(specific.agg.feedback_count, 2, 'feedback took the trace feature/model');
    assert.equal(specific.agg.feedback_negative, 1);
    const total = m.rows.find((r) => r.series.feature === ALL && r.series.model === ALL)!;
    assert.equal(total.agg.feedback_count, 2);
  });
});

describe('progress, open alerts and spend', () => {
  it('remembers the last judged minute per consumer group', async () => {
    assert.equal(await readProgress(db.store, 'g1'), null);
    await writeProgress(db.store, 'g1', base);
    await writeProgress(db.store, 'g1', base + MINUTE_MS);
    assert.equal(await readProgress(db.store, 'g1'), base + MINUTE_MS);
    assert.equal(await readProgress(db.store, 'other'), null);
  });

  it('reads back only alerts whose latest change is not resolved, field for field', async () => {
    const sink = createAlertSink({ store: db.store });
    const mk = (feature: string, state: AlertEvent['state'], at: number, previous: AlertEvent['state'] | null): StoredAlert => ({
      alert_id: `${feature}-${state}-${at}`, key: { rule: 'anomaly', metric: 'cost_usd', feature, model: 'gpt-4o' }, state, previous, at, started_at: base,
      severity: 'critical', direction: 'up', value: 3, expected: 1, score: 0.99, deviation: 'x3.0', recent: [1, null, 3], prompt_version: 'v2', detector: 'robust', summary: 's', covered_by: null, silenced: false, silence_id: null,
    });
    await sink.record([mk('a', 'pending', base, null), mk('a', 'firing', base + MINUTE_MS, 'pending'), mk('b', 'firing', base, null), mk('b', 'resolved', base + MINUTE_MS, 'firing')]);
    await sink.record([mk('a', 'pending', base, null)]); // a repeat changes nothing
    const open = await readOpenAlerts(db.store);
    assert.equal(open.length, 1);
    const { silenced: _s, silence_id: _i, ...want } = mk('a', 'firing', base + MINUTE_MS, 'pending');
    assert.deepEqual(open[0], want);
    const [{ n }] = await db.store.query<{ n: string }>(`SELECT count() AS n FROM alerts FINAL`);
    assert.equal(Number(n), 4);
  });

  it('sums spend today and this month per feature and in total', async () => {
    const now = base + 3 * 60 * MINUTE_MS;
    const spend = await readSpend(db.store, now);
    const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
    const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    const sum = (f: (t: TraceFixture) => boolean) => fixtures.filter(f).reduce((s, t) => s + Number(t.costPico ?? 0n) / 1e12, 0);
    const total = spend.get(ALL)!;
    assert.ok(Math.abs(total.day_usd - sum((t) => t.tsMs >= dayStart)) < 1e-6);
    assert.ok(Math.abs(total.month_usd - sum((t) => t.tsMs >= monthStart)) < 1e-6);
    const f = fixtures[0].feature;
    assert.ok(Math.abs(spend.get(f)!.month_usd - sum((t) => t.feature === f && t.tsMs >= monthStart)) < 1e-6);
  });

  it('per user: spend of model-call spans today and this month, only users at or above the floor', async () => {
    const now = base + 3 * 60 * MINUTE_MS;
    const at = clickhouseTime(now - MINUTE_MS);
    const one = toRow(fixtures[0]);
    const row = (trace_id: string, user_id: string, cost: string | null, span_kind = 'llm', feature = 'per-user-app') => ({ ...one, trace_id, span_id: `${trace_id}-s`, span_kind, user_id, feature, ts: at, cost_usd: cost });
    await db.store.insert('traces', [row('pu-1', 'big', '2.5'), row('pu-2', 'big', '1.25'), row('pu-3', 'big', null, 'agent'), row('pu-4', 'small', '0.01'), row('pu-5', 'elsewhere', '9', 'llm', 'other-app')]);
    const rule = { name: 'u', feature: 'per-user-app', daily_usd: 4, warn_at: 0.5, warn_on_projection: false };
    const spend = await readUserSpend(db.store, now, [rule, { ...rule, name: 'all', feature: ALL }], { day: 0.5, month: 0.5, min: 0.1 });
    assert.deepEqual([...spend.get('u')!.entries()], [['big', { day_usd: 3.75, month_usd: 3.75 }]], 'small is under 50 % of $4; the agent span costs nothing');
    assert.deepEqual([...spend.get('all')!.keys()], ['elsewhere', 'big'], 'every feature, most spent first');
  });
});

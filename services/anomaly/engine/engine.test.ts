import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poisson, rng } from '../../../test/support/anomaly/random-draws.ts';
import { alertKeyString, ALL, type AlertEvent, type MinuteAggregate, type SeriesId } from '../types.ts';
import { createDetectionEngine, type DetectionEngine } from './engine.ts';

const MIN = 60_000;
const T0 = Date.UTC(2025, 2, 3); // a Monday
const LEAVES: SeriesId[] = [
  { feature: 'chat', model: 'gpt-4o' },
  { feature: 'chat', model: 'mini' },
  { feature: 'search', model: 'gpt-4o' },
];

interface Knobs {
  costFactor?: (s: SeriesId) => number;
  silent?: (s: SeriesId) => boolean;
}

/** Steady Poisson traffic (40 req/min per leaf) at the four roll-up levels, as the service's aggregator emits them. */
function minuteRows(r: () => number, minute: number, k: Knobs = {}): { series: SeriesId; agg: MinuteAggregate }[] {
  const sums = new Map<string, { series: SeriesId; agg: MinuteAggregate }>();
  const add = (series: SeriesId, a: MinuteAggregate) => {
    const key = `${series.feature}|${series.model}`;
    const t = sums.get(key);
    if (!t) return void sums.set(key, { series, agg: { ...a } });
    for (const f of ['requests', 'errors', 'cost_usd', 'unpriced', 'tokens', 'eval_count', 'eval_sum', 'feedback_count', 'feedback_negative'] as const) t.agg[f] += a[f];
    t.agg.latency_p95_ms = Math.max(t.agg.latency_p95_ms ?? 0, a.latency_p95_ms ?? 0);
  };
  for (const leaf of LEAVES) {
    if (k.silent?.(leaf)) continue;
    const n = poisson(r, 40);
    if (n === 0) continue;
    const cost = n * 0.01 * (0.9 + 0.2 * r()) * (k.costFactor?.(leaf) ?? 1);
    const a: MinuteAggregate = { minute, requests: n, errors: 0, cost_usd: cost, unpriced: 0, tokens: n * 500, latency_p95_ms: 800 + 80 * r(), eval_count: 0, eval_sum: 0, feedback_count: 0, feedback_negative: 0 };
    for (const s of [leaf, { feature: leaf.feature, model: ALL }, { feature: ALL, model: leaf.model }, { feature: ALL, model: ALL }]) add(s, a);
  }
  return [...sums.values()];
}

/** An engine warmed with two days of history (as from the rollups), then `live` normal minutes. */
function warmEngine(seed: number, live = 200): { engine: DetectionEngine; r: () => number; next: number; history: Map<string, { series: SeriesId; aggs: MinuteAggregate[] }> } {
  const r = rng(seed);
  const engine = createDetectionEngine({ repeatIntervalMinutes: 240 });
  const history = new Map<string, { series: SeriesId; aggs: MinuteAggregate[] }>();
  const WARM = 2 * 1440;
  for (let m = 0; m < WARM; m++) {
    for (const row of minuteRows(r, T0 + m * MIN)) {
      const k = `${row.series.feature}|${row.series.model}`;
      if (!history.has(k)) history.set(k, { series: row.series, aggs: [] });
      history.get(k)!.aggs.push(row.agg);
    }
  }
  for (const { series, aggs } of history.values()) engine.warm(series, aggs);
  let next = WARM;
  for (; next < WARM + live; next++) {
    const rows = minuteRows(r, T0 + next * MIN);
    log(history, rows);
    assert.deepEqual(engine.closeMinute(T0 + next * MIN, rows), [], `no alert on normal traffic (minute ${next})`);
  }
  return { engine, r, next, history };
}

type History = Map<string, { series: SeriesId; aggs: MinuteAggregate[] }>;

/** What the rollups would hold: every row, per series. */
function log(history: History | undefined, rows: { series: SeriesId; agg: MinuteAggregate }[]): void {
  if (!history) return;
  for (const row of rows) {
    const k = `${row.series.feature}|${row.series.model}`;
    if (!history.has(k)) history.set(k, { series: row.series, aggs: [] });
    history.get(k)!.aggs.push(row.agg);
  }
}

function runMinutes(engine: DetectionEngine, r: () => number, from: number, count: number, k: Knobs = {}, history?: History): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (let m = from; m < from + count; m++) {
    const rows = minuteRows(r, T0 + m * MIN, k);
    log(history, rows);
    out.push(...engine.closeMinute(T0 + m * MIN, rows));
  }
  return out;
}

const spikeOnChat4o: Knobs = { costFactor: (s) => (s.feature === 'chat' && s.model === 'gpt-4o' ? 3 : 1) };
const firings = (events: AlertEvent[]) => events.filter((e) => e.state === 'firing' && e.previous !== 'firing');

describe('detection engine', () => {
  it('warm learns history without emitting, and normal live minutes stay quiet', () => {
    const { engine } = warmEngine(1);
    const st = engine.stats();
    assert.equal(st.series, 3 + 2 + 2 + 1);
    assert.equal(st.series_metrics, 8 * 8);
    assert.ok(st.bytes_per_series > 80_000 && st.bytes_per_series < 200_000, `bytes per series ${st.bytes_per_series}`);
  });

  it('fires a cost spike on the leaf, covers the roll-ups it moves, and resolves them all consistently', () => {
    const { engine, r, next } = warmEngine(2);
    const during = runMinutes(engine, r, next, 10, spikeOnChat4o);
    const fired = firings(during).filter((e) => e.key.metric === 'cost_usd');
    const leaf = fired.find((e) => e.key.feature === 'chat' && e.key.model === 'gpt-4o');
    assert.ok(leaf, `fired: ${fired.map((e) => alertKeyString(e.key)).join(', ')}`);
    assert.ok(leaf.at - (T0 + next * MIN) <= 5 * MIN, 'within 5 minutes');
    assert.equal(leaf.covered_by ?? null, null, 'the most specific alert notifies');
    const others = fired.filter((e) => e !== leaf);
    assert.ok(others.length >= 1, 'the spike also moves (chat, *) or the totals');
    for (const e of others) assert.equal(e.covered_by, alertKeyString(leaf.key), `${alertKeyString(e.key)} is covered`);
    assert.match(leaf.deviation, /^x\d+(\.\d)? vs baseline \(\d+\.\d MADs above/);
    assert.match(leaf.summary, /^Cost spike on chat \/ gpt-4o: /);
    assert.equal(leaf.recent.length, 60);
    assert.equal(leaf.key.rule, 'anomaly');

    const after = runMinutes(engine, r, next + 10, 40);
    const resolves = after.filter((e) => e.state === 'resolved' && e.previous === 'firing' && e.key.metric === 'cost_usd');
    assert.equal(resolves.length, fired.length, 'every fired alert resolves');
    for (const f of fired) {
      const res = resolves.find((e) => alertKeyString(e.key) === alertKeyString(f.key))!;
      assert.equal(res.covered_by ?? null, f.covered_by ?? null, 'the resolve is covered exactly like the firing');
      assert.equal(res.started_at, f.started_at);
    }
    assert.equal(engine.groupAlertEvents([...during, ...after]).length, 2, 'one firing message and one resolve message');
  });

  it('judges a known series missing from the rows as a minute without traffic: a drop to zero fires', () => {
    const { engine, r, next } = warmEngine(3);
    const events = runMinutes(engine, r, next, 8, { silent: (s) => s.feature === 'search' });
    const drop = firings(events).filter((e) => e.key.metric === 'requests');
    assert.ok(drop.some((e) => e.key.feature === 'search'), `fired: ${drop.map((e) => alertKeyString(e.key)).join(', ')}`);
    const notified = drop.filter((e) => !e.covered_by);
    assert.equal(notified.length, 1, 'one notification for the feature');
    assert.equal(notified[0].value, 0);
    assert.match(notified[0].summary, /Traffic drop on search .*no traffic/);
    assert.equal(notified[0].direction, 'both');
  });

  it('after a restart, restore keeps open alerts open: no second notification, and the resolve still comes', () => {
    const { engine, r, next, history } = warmEngine(4);
    const before = runMinutes(engine, r, next, 8, spikeOnChat4o, history);
    assert.ok(firings(before).length > 0);

    // a new process: all history up to the restart from the rollups, open alerts from the alerts table
    const fresh = createDetectionEngine({ repeatIntervalMinutes: 240 });
    for (const { series, aggs } of history.values()) fresh.warm(series, aggs);
    fresh.restore(before);
    const r2 = rng(44);
    const still = runMinutes(fresh, r2, next + 8, 5, spikeOnChat4o);
    assert.deepEqual(firings(still).filter((e) => e.key.metric === 'cost_usd' && e.key.feature === 'chat' && e.key.model === 'gpt-4o'), [], 'no re-alert');
    const end = runMinutes(fresh, r2, next + 13, 40);
    const leafKey = alertKeyString({ rule: 'anomaly', metric: 'cost_usd', feature: 'chat', model: 'gpt-4o' });
    const resolved = end.find((e) => alertKeyString(e.key) === leafKey && e.state === 'resolved');
    assert.ok(resolved, 'the restored alert resolves');
    assert.equal(resolved.previous, 'firing');
    const original = before.find((e) => alertKeyString(e.key) === leafKey && e.state === 'firing')!;
    assert.equal(resolved.started_at, original.started_at);
  });

  it('honours the alerts file: a disabled metric never alerts, a higher threshold is quieter', () => {
    const engine = createDetectionEngine({ repeatIntervalMinutes: 0, metrics: { cost_usd: { enabled: false } } });
    assert.equal(engine.stats().series, 0);
    const r = rng(5);
    for (let m = 0; m < 1500; m++) for (const row of minuteRows(r, T0 + m * MIN)) engine.warm(row.series, [row.agg]);
    assert.equal(engine.stats().series_metrics, 8 * 7);
    const events = runMinutes(engine, r, 1500, 10, spikeOnChat4o);
    assert.equal(events.filter((e) => e.key.metric === 'cost_usd').length, 0);
  });
});

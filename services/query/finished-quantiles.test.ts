import { DAY_MS, HOUR_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import { buildQueryApp } from './app.ts';
import { buildMetricsQuery } from './metrics-query.ts';
import { resolveMetricsRequest } from './params.ts';
import { QUERY_DEFAULTS } from './routes.ts';
import { buildFixtures, fixtureBase, toRow } from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';

/**
 * The dashboard's grain: hourly latency by feature and model reads the finished quantiles
 * of closed hours (traces_fm_quantiles) and must answer exactly what merging the t-digest
 * states answers, also right after a late event reopened an hour; day and none questions
 * at that grain read traces_fm_1d / traces_fm_1h with the same totals as traces_1h.
 */
let db: TestStore;
let app: FastifyInstance;
let base: number;

const refresh = async () => {
  await db.store.command('SYSTEM REFRESH VIEW traces_fm_quantiles_rmv');
  await db.store.command('SYSTEM WAIT VIEW traces_fm_quantiles_rmv');
};

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  await db.store.insert('traces', buildFixtures(base).map(toRow));
  app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
  await app.ready();
});

after(async () => {
  await app.close();
  await db.close();
});

const url = () => `/v1/metrics/latency?from=${base}&to=${base + 3 * HOUR_MS}&interval=hour&group_by=feature,model`;

async function answer(): Promise<Record<string, unknown>[]> {
  const res = await app.inject({ url: url() });
  assert.equal(res.statusCode, 200);
  return res.json().rows;
}

/** The same question answered by merging every state (traces_fm_1h, no finished rows). */
async function mergedReference(): Promise<Record<string, unknown>[]> {
  const r = resolveMetricsRequest({ from: String(base), to: String(base + 3 * HOUR_MS), interval: 'hour', group_by: 'feature,model' }, QUERY_DEFAULTS);
  const def = buildMetricsQuery('latency', r);
  assert.match(def.name, /\.finished/);
  const sql = def.query.replace(/FROM traces_fm_quantiles FINAL\s+WHERE/g, 'FROM traces_fm_quantiles FINAL WHERE 0 AND');
  assert.notEqual(sql, def.query);
  const text = await db.store.queryJsonLines(sql, { from_ms: r.fromMs, to_ms: r.toMs, limit: 10_000 });
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe('finished quantiles of closed hours', () => {
  it('before any is finished, and after: the same answer as merging the states', async () => {
    await db.store.command('TRUNCATE TABLE traces_fm_quantiles');
    const unfinished = await answer();
    assert.ok(unfinished.length > 0);
    await refresh();
    const [{ n }] = await db.store.query<{ n: string }>(
      `SELECT count() AS n FROM traces_fm_quantiles WHERE bucket >= fromUnixTimestamp64Milli(${base}, 'UTC')`,
    );
    assert.ok(Number(n) > 0, 'closed hours were finished');
    const finished = await answer();
    assert.deepEqual(finished, unfinished);
    assert.deepEqual(finished, await mergedReference());
  });

  it('a late event reopens its hour: counted at once, quantiles merged until finished again', async () => {
    await refresh();
    const before = await answer();
    const late = { ...toRow(buildFixtures(base)[0]!), trace_id: 'late-one', latency_ms: 987_654 };
    await db.store.insert('traces', [late]);
    const reopened = await answer();
    const key = (r: Record<string, unknown>) => `${r.bucket}|${r.feature}|${r.model}`;
    const changed = reopened.filter((r, i) => JSON.stringify(r) !== JSON.stringify(before[i]));
    assert.equal(changed.length, 1, 'one group changed');
    const was = before.find((r) => key(r) === key(changed[0]!))!;
    assert.equal(changed[0]!.requests, (was.requests as number) + 1);
    assert.equal(changed[0]!.latency_max_ms, 987_654);
    assert.deepEqual(reopened, await mergedReference());
    await refresh();
    assert.deepEqual(await answer(), reopened);
  });
});

describe('the daily and hourly rollups at the dashboard grain', () => {
  it('day and none by feature, model: traces_fm_1d / traces_fm_1h, same totals as traces_1h', async () => {
    const from = Math.floor(base / DAY_MS) * DAY_MS - DAY_MS;
    const to = from + 3 * DAY_MS;
    const totals = async (q: string) => {
      const res = await app.inject({ url: `/v1/metrics/cost?from=${from}&to=${to}&${q}` });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      const sum = (k: string) => body.rows.reduce((s: number, r: Record<string, number>) => s + Number(r[k]), 0);
      return { resolution: body.resolution, requests: sum('requests'), unpriced: sum('unpriced_requests'), tokens: sum('input_tokens'), rows: body.rows.length };
    };
    const day = await totals('interval=day&group_by=feature,model');
    const none = await totals('interval=none&group_by=model');
    const wide = await totals('interval=day&group_by=feature,model,environment');
    assert.equal(day.resolution, 'day');
    assert.equal(none.resolution, 'day');
    assert.equal(wide.resolution, 'hour');
    const [ref] = await db.store.query<{ n: string; u: string; t: string }>(
      `SELECT count() AS n, countIf(cost_usd IS NULL) AS u, sum(input_tokens) AS t FROM traces WHERE ts >= fromUnixTimestamp64Milli(${from}, 'UTC') AND ts < fromUnixTimestamp64Milli(${to}, 'UTC')`,
    );
    for (const t of [day, none, wide]) {
      assert.equal(t.requests, Number(ref!.n));
      assert.equal(t.unpriced, Number(ref!.u));
      assert.equal(t.tokens, Number(ref!.t));
    }
  });
});

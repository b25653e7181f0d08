import { HOUR_MS, MINUTE_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import type { Score } from '../core/schema/score.ts';
import { buildQueryApp } from './app.ts';
import { evalScore, feedbackScore, scoreRow, trace, traceRow } from '../../test/support/query/known-scores.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { floorTo } from './time.ts';

/**
 * /v1/metrics/quality against known rows in the real engine: evals carry their trace's
 * dimensions, feedback gets them from `traces` (or none for an unknown trace), repeats
 * and resent votes count once (latest wins), errors are counted apart.
 */
const BASE = floorTo(Date.now(), HOUR_MS) - 3 * HOUR_MS;
const H0 = BASE + 10 * MINUTE_MS;
const H1 = BASE + HOUR_MS + 10 * MINUTE_MS;

const T1 = trace('q-t1', H0 - MINUTE_MS, 'chat', 'gpt-4o', 'v1', 'prod');
const T2 = trace('q-t2', H0 - MINUTE_MS, 'chat', 'gpt-4o', 'v2', 'prod');
const T3 = trace('q-t3', H0 - MINUTE_MS, 'search', 'claude', 'v1', 'staging');

const e1 = evalScore({ id: 'e1', trace: T1, name: 'helpfulness', value: 0.9, passed: true, ts: H0 });
const SCORES: Score[] = [
  e1,
  e1, // a replay that slipped through: same row twice
  evalScore({ id: 'e2', trace: T2, name: 'helpfulness', value: 0.4, passed: false, ts: H0 + 1 }),
  evalScore({ id: 'e3', trace: T2, name: 'helpfulness', value: null, passed: null, ts: H1 }),
  evalScore({ id: 'e4', trace: T3, name: 'helpfulness', value: 0.7, passed: true, ts: H1 + 1 }),
  evalScore({ id: 'e5', trace: T1, name: 'valid_json', value: 1, passed: true, ts: H0 + 2 }),
  evalScore({ id: 'e5', trace: T1, name: 'valid_json', value: 0, passed: false, ts: H0 + 3 }), // re-evaluated: latest wins
  feedbackScore('f1', 'q-t1', 1, true, H0 + 4),
  feedbackScore('f2', 'q-t2', 1, true, H1 + 2),
  feedbackScore('f2', 'q-t2', 0, false, H1 + 3), // the user changed the vote
  feedbackScore('f3', 'q-ghost', 0.75, true, H1 + 4), // no such trace
];

let db: TestStore;
let app: FastifyInstance;

before(async () => {
  db = await openTestStore();
  await db.store.insert('traces', [T1, T2, T3].map(traceRow));
  // One part per row and no merges: the repeats stay in the table (an insert collapses
  // repeats inside its own block), so the queries must collapse them.
  await db.store.command('SYSTEM STOP MERGES scores');
  for (const [i, s] of SCORES.entries()) await db.store.insert('scores', [scoreRow(s)], { dedupToken: `fixture-${i}` });
  app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
  await app.ready();
});

after(async () => {
  await app.close();
  await db.close();
});

type Body = Record<string, any> & { rows: Record<string, any>[] };

async function quality(query: Record<string, string>): Promise<{ status: number; body: Body }> {
  const qs = new URLSearchParams({ from: String(BASE), to: String(BASE + 2 * HOUR_MS), ...query });
  const res = await app.inject({ url: `/v1/metrics/quality?${qs}` });
  return { status: res.statusCode, body: res.json() };
}

/** Exact on counts; means within float rounding. */
function assertRows(actual: Record<string, any>[], expected: Record<string, any>[]): void {
  assert.equal(actual.length, expected.length, JSON.stringify(actual));
  expected.forEach((e, i) => {
    const a = actual[i];
    for (const [k, v] of Object.entries(e)) {
      if (typeof v === 'number' && !Number.isInteger(v)) assert.ok(Math.abs(a[k] - v) < 1e-12, `row ${i} ${k}: ${a[k]} ≠ ${v}`);
      else assert.deepEqual(a[k], v, `row ${i} ${k}`);
    }
  });
}

describe('GET /v1/metrics/quality', () => {
  it('per feature × prompt_version and source: feedback joined from traces, an unknown trace under empty dims', async () => {
    const { status, body } = await quality({ group_by: 'feature,prompt_version', interval: 'none' });
    assert.equal(status, 200);
    assert.equal(body.source, 'both');
    assert.deepEqual(body.group_by, ['feature', 'prompt_version']);
    assertRows(body.rows, [
      { feature: '', prompt_version: '', source: 'user', count: 1, mean: 0.75, failing: 0, judged: 1, failing_share: 0, errors: 0 },
      { feature: 'chat', prompt_version: 'v1', source: 'eval', count: 2, mean: 0.45, failing: 1, judged: 2, failing_share: 0.5, errors: 0 },
      { feature: 'chat', prompt_version: 'v1', source: 'user', count: 1, mean: 1, failing: 0, judged: 1, failing_share: 0, errors: 0 },
      { feature: 'chat', prompt_version: 'v2', source: 'eval', count: 1, mean: 0.4, failing: 1, judged: 1, failing_share: 1, errors: 1 },
      { feature: 'chat', prompt_version: 'v2', source: 'user', count: 1, mean: 0, failing: 1, judged: 1, failing_share: 1, errors: 0 },
      { feature: 'search', prompt_version: 'v1', source: 'eval', count: 1, mean: 0.7, failing: 0, judged: 1, failing_share: 0, errors: 0 },
    ]);
  });

  it('defaults to group_by=name (and the interval to the range\'s), by hour: buckets of the latest version of each score', async () => {
    const picked = await quality({});
    assert.equal(picked.body.interval, 'minute', '2 h: 120 minute buckets, the finest within 1,000');
    assert.deepEqual(picked.body.group_by, ['name']);
    const { status, body } = await quality({ interval: 'hour' });
    assert.equal(status, 200);
    assert.equal(body.interval, 'hour');
    assert.deepEqual(body.group_by, ['name']);
    const h0 = new Date(BASE).toISOString();
    const h1 = new Date(BASE + HOUR_MS).toISOString();
    assertRows(body.rows, [
      { bucket: h0, name: 'helpfulness', source: 'eval', count: 2, mean: 0.65, failing: 1, errors: 0 },
      { bucket: h0, name: 'user_feedback', source: 'user', count: 1, mean: 1, failing: 0, errors: 0 },
      { bucket: h0, name: 'valid_json', source: 'eval', count: 1, mean: 0, failing: 1, errors: 0 },
      { bucket: h1, name: 'helpfulness', source: 'eval', count: 1, mean: 0.7, failing: 0, errors: 1 },
      { bucket: h1, name: 'user_feedback', source: 'user', count: 2, mean: 0.375, failing: 1, errors: 0 },
    ]);
  });

  it('filters by source, dimension (joined for feedback) and score name', async () => {
    const user = await quality({ source: 'user', group_by: 'model,environment', interval: 'none', feature: 'chat' });
    assertRows(user.body.rows, [{ model: 'gpt-4o', environment: 'prod', source: 'user', count: 2, mean: 0.5, failing: 1, errors: 0 }]);
    const named = await quality({ name: 'helpfulness', group_by: 'feature', interval: 'day', source: 'eval' });
    assert.deepEqual(named.body.filters, { name: ['helpfulness'] });
    const byFeature = new Map(named.body.rows.map((r) => [r.feature, r]));
    assert.equal(byFeature.get('chat')?.count, 2);
    assert.equal(byFeature.get('chat')?.errors, 1);
    assert.equal(byFeature.get('search')?.count, 1);
    const none = await quality({ group_by: '', interval: 'none', source: 'eval' });
    assertRows(none.body.rows, [{ source: 'eval', count: 4, failing: 2, judged: 4, errors: 1 }]);
  });

  it('rejects unknown group_by, interval and source values, naming the parameter', async () => {
    for (const [param, value] of [['group_by', 'score'], ['interval', 'week'], ['source', 'bots'], ['nope', '1']]) {
      const { status, body } = await quality({ [param]: value });
      assert.equal(status, 400, `${param}=${value}`);
      assert.equal(body.fields[0].field, param);
    }
  });
});

describe('SQL injection strings in every quality parameter', () => {
  const NASTY = ["'; DROP TABLE scores; --", "x' OR '1'='1", '{from_ms:Int64}', 'name) FROM system.tables --', "\\'", '1); SELECT 1 --', 'feature,prompt_version; DROP'];
  const metricsParams = ['from', 'to', 'interval', 'group_by', 'feature', 'model', 'prompt_version', 'environment', 'name', 'source'];
  const compareParams = ['feature', 'baseline', 'candidate', 'name', 'source', 'from', 'to'];

  it('/v1/metrics/quality answers 400 or no rows, never an error', async () => {
    for (const param of metricsParams) {
      for (const nasty of NASTY) {
        const { status, body } = await quality({ [param]: nasty });
        assert.ok(status === 400 || (status === 200 && body.rows.length === 0), `${param}=${nasty}: ${status} ${JSON.stringify(body)}`);
      }
    }
  });

  it('/v1/quality/compare answers 400 or no scores, never an error', async () => {
    for (const param of compareParams) {
      for (const nasty of NASTY) {
        const qs = new URLSearchParams({ feature: 'chat', baseline: 'v1', candidate: 'v2', from: String(BASE), to: String(BASE + 2 * HOUR_MS), [param]: nasty });
        const res = await app.inject({ url: `/v1/quality/compare?${qs}` });
        const body = res.json();
        // an injected prompt version matches nothing; the other side may still have scores
        const side = param === 'baseline' || param === 'candidate' ? param : null;
        const empty = res.statusCode === 200 && (side ? body.scores.every((sc: any) => sc[side].count === 0) : body.scores.length === 0);
        assert.ok(res.statusCode === 400 || empty, `${param}=${nasty}: ${res.statusCode} ${res.body}`);
      }
    }
  });

  it('left the tables intact', async () => {
    const [r] = await db.store.query<{ n: number | string }>('SELECT count() AS n FROM scores');
    assert.equal(Number(r.n), SCORES.length, 'every fixture row, repeats unmerged');
  });
});

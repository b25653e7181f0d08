import { DAY_MS, HOUR_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import type { Score } from '../core/schema/score.ts';
import { buildQueryApp } from './app.ts';
import { evalScore, feedbackScore, scoreRow, trace, traceRow } from '../../test/support/query/known-scores.ts';
import type { TraceFixture } from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';


/**
 * /v1/quality/compare on a fixture with a clear regression (groundedness), one with
 * none (conciseness, user thumbs), and noise that must not count (another feature, an
 * error result, a score outside the window). Expected statistics are SciPy's
 * (scipy.stats.ttest_ind(equal_var=False, alternative='less'), t.interval, norm.cdf).
 */
const NOW = Date.now();
const FROM = NOW - 2 * HOUR_MS;
const TO = NOW + HOUR_MS;
let seq = 0;

const traces: TraceFixture[] = [];
const scores: Score[] = [];

function evals(feature: string, version: string, name: string, values: number[], passAt: number): void {
  for (const v of values) {
    const t = trace(`c-${++seq}`, NOW - HOUR_MS, feature, 'gpt-4o', version, 'prod');
    scores.push(evalScore({ id: `ce-${seq}`, trace: t, name, value: v, passed: v >= passAt, ts: NOW - HOUR_MS + seq }));
  }
}

function thumbs(version: string, up: number, down: number): void {
  for (let i = 0; i < up + down; i++) {
    const t = trace(`c-${++seq}`, NOW - HOUR_MS, 'summarize', 'gpt-4o', version, 'prod');
    traces.push(t);
    scores.push(feedbackScore(`cf-${seq}`, t.trace_id, i < up ? 1 : 0, i < up, NOW - HOUR_MS + seq));
  }
}

evals('summarize', 'p1', 'groundedness', [0.9, 0.8, 0.85, 0.95, 0.7, 0.9, 0.88, 0.92], 0.75);
evals('summarize', 'p2', 'groundedness', [0.6, 0.7, 0.65, 0.5, 0.75, 0.55], 0.75);
evals('summarize', 'p1', 'conciseness', [0.8, 0.82, 0.79, 0.81], 0.8);
evals('summarize', 'p2', 'conciseness', [0.8, 0.83, 0.78, 0.8, 0.81], 0.8);
thumbs('p1', 8, 2);
thumbs('p2', 7, 3);
// noise
evals('chat', 'p2', 'groundedness', [0, 0, 0], 0.75);
const old = trace('c-old', NOW - 3 * DAY_MS, 'summarize', 'gpt-4o', 'p2', 'prod');
scores.push(evalScore({ id: 'ce-old', trace: old, name: 'groundedness', value: 0, passed: false, ts: NOW - 3 * DAY_MS }));
const errTrace = trace('c-err', NOW - HOUR_MS, 'summarize', 'gpt-4o', 'p2', 'prod');
scores.push(evalScore({ id: 'ce-err', trace: errTrace, name: 'groundedness', value: null, passed: null, ts: NOW - HOUR_MS }));

let db: TestStore;
let app: FastifyInstance;

before(async () => {
  db = await openTestStore();
  await db.store.insert('traces', traces.map(traceRow));
  await db.store.insert('scores', scores.map(scoreRow));
  app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
  await app.ready();
});

after(async () => {
  await app.close();
  await db.close();
});

async function compare(query: Record<string, string>): Promise<{ status: number; body: any }> {
  const qs = new URLSearchParams({ feature: 'summarize', baseline: 'p1', candidate: 'p2', from: String(FROM), to: String(TO), ...query });
  const res = await app.inject({ url: `/v1/quality/compare?${qs}` });
  return { status: res.statusCode, body: res.json() };
}

function close(actual: number | null, expected: number, what: string, tol = 1e-9): void {
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected}`);
}

describe('GET /v1/quality/compare', () => {
  it('names the tests and flags the clear regression', async () => {
    const { status, body } = await compare({});
    assert.equal(status, 200);
    assert.equal(body.test, 'welch_t_one_sided');
    assert.equal(body.pass_rate_test, 'two_proportion_z_one_sided');
    assert.equal(body.alpha, 0.05);
    assert.equal(body.regression, true);
    assert.deepEqual(body.scores.map((s: any) => `${s.source}/${s.name}`), ['eval/conciseness', 'eval/groundedness', 'user/user_feedback']);

    const g = body.scores[1];
    assert.deepEqual([g.baseline.count, g.candidate.count, g.candidate.errors], [8, 6, 1]);
    close(g.baseline.mean, 0.8625, 'baseline mean');
    close(g.candidate.mean, 0.625, 'candidate mean');
    close(g.baseline.ci95[0], 0.7958051991515666, 'baseline ci low');
    close(g.baseline.ci95[1], 0.9291948008484335, 'baseline ci high');
    close(g.candidate.ci95[0], 0.5268342846509838, 'candidate ci low');
    close(g.candidate.ci95[1], 0.7231657153490162, 'candidate ci high');
    close(g.baseline.std_dev, 0.07977647343851266, 'baseline sd');
    close(g.difference, -0.2375, 'difference');
    close(g.difference_ci95[0], -0.3435003388091008, 'difference ci low');
    close(g.t, -5.002640264210409, 't');
    close(g.df, 9.849432083949015, 'df');
    close(g.p_value, 0.0002802197012868249, 'p', 1e-12);
    assert.equal(g.test, 'welch_t_one_sided');
    assert.equal(g.regression, true);
    close(g.pass_rate.baseline_pass_rate, 7 / 8, 'baseline pass rate');
    close(g.pass_rate.candidate_pass_rate, 1 / 6, 'candidate pass rate');
    close(g.pass_rate.z, -2.650340648964875, 'z');
    close(g.pass_rate.p_value, 0.004020532480401752, 'z p', 1e-12);
    assert.equal(g.pass_rate.regression, true);
  });

  it('does not flag differences that are noise, for evals and for user thumbs joined from traces', async () => {
    const { body } = await compare({});
    const c = body.scores[0];
    close(c.p_value, 0.4629716879371112, 'conciseness p');
    close(c.difference_ci95[0], -0.025571092402474786, 'conciseness ci low');
    close(c.difference_ci95[1], 0.023571092402474562, 'conciseness ci high');
    assert.equal(c.regression, false);
    const u = body.scores[2];
    assert.deepEqual([u.baseline.count, u.candidate.count], [10, 10]);
    close(u.t, -0.4931969619160723, 'thumbs t');
    close(u.df, 17.67718794835007, 'thumbs df');
    close(u.p_value, 0.31397217829575463, 'thumbs p');
    close(u.pass_rate.z, -0.5163977794943226, 'thumbs z');
    close(u.pass_rate.p_value, 0.302788308167673, 'thumbs z p');
    assert.equal(u.regression, false);
    assert.equal(u.pass_rate.regression, false);
  });

  it('filters by score name and source', async () => {
    const named = await compare({ name: 'conciseness' });
    assert.equal(named.body.regression, false);
    assert.deepEqual(named.body.scores.map((s: any) => s.name), ['conciseness']);
    const user = await compare({ source: 'user' });
    assert.deepEqual(user.body.scores.map((s: any) => s.name), ['user_feedback']);
    assert.equal(user.body.source, 'user');
  });

  it('a version with no scores gives counts of 0 and no verdict, not an error', async () => {
    const { status, body } = await compare({ candidate: 'p9' });
    assert.equal(status, 200);
    assert.equal(body.regression, false);
    for (const s of body.scores) {
      assert.equal(s.candidate.count, 0);
      assert.equal(s.p_value, null);
      assert.match(s.note, /insufficient/);
    }
  });

  it('rejects missing or malformed parameters, naming them', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ candidate: 'p1' }, 'candidate'],
      [{ feature: '' }, 'feature'],
      [{ baseline: 'p1,p2' }, 'baseline'],
      [{ source: 'robots' }, 'source'],
      [{ from: String(TO), to: String(FROM) }, 'from'],
      [{ group_by: 'name' }, 'group_by'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await compare(query);
      assert.equal(status, 400, JSON.stringify(query));
      assert.equal(body.fields[0].field, field, JSON.stringify(body));
    }
    const missing = await app.inject({ url: '/v1/quality/compare?baseline=p1&candidate=p2' });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().fields[0].field, 'feature');
  });
});

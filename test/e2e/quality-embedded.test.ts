import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { scoreReply, startJudgeServer, type JudgeServer } from '../support/judge/fake-judge-server.ts';
import { eventually } from '../helpers/service-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Quality end to end on the embedded default: traces in → sampled evals (a deterministic
 * check and an LLM judge served by a local OpenAI-compatible server) → scores; user
 * feedback → scores; both visible in /v1/metrics/quality, /v1/quality/compare and SQL on
 * `scores`; judge calls show up as traces of feature eval_judge with their cost.
 */
const dir = tempDir('e2e-quality');
let pipeline: EmbeddedPipeline;
let judge: JudgeServer;
const now = Date.now();
const from = encodeURIComponent(new Date(now - 3600_000).toISOString());
const N = 20;

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${pipeline.apiUrl}${path}`, init);
  return { status: res.status, body: await res.json() };
}
const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  judge = await startJudgeServer(() => scoreReply(0.8, 'helpful'));
  const rules = join(dir.path, 'evals.json');
  writeFileSync(
    rules,
    JSON.stringify({
      version: 1,
      rules: [
        { name: 'concise', sample_rate: 1, filter: { feature: 'chat' }, evaluator: { type: 'max_length', max_words: 5 } },
        {
          name: 'helpfulness',
          sample_rate: 1,
          filter: { feature: 'chat' },
          evaluator: { type: 'llm_judge', base_url: judge.baseUrl, model: 'gpt-4o-mini', api_key_env: 'E2E_JUDGE_KEY', rubric: 'Is it helpful?', threshold: 0.5, max_retries: 1 },
          budget_usd_per_day: 10,
        },
      ],
    }),
  );
  const config = loadConfig({ DATA_DIR: join(dir.path, 'data'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', EVALS_FILE: rules });
  pipeline = await startEmbeddedPipeline(config, silentLogger(), { env: { E2E_JUDGE_KEY: 'sk-e2e-test' } });
});

after(async () => {
  await pipeline?.stop();
  await judge?.close();
  dir.cleanup();
});

test('traces in: every chat trace gets a concise score and a judge score', async () => {
  const traces = Array.from({ length: N }, (_, i) => ({
    trace_id: `q-${i}`,
    timestamp: new Date(now - 120_000).toISOString(),
    model: 'gpt-4o',
    feature: 'chat',
    prompt_version: i % 2 === 0 ? 'v1' : 'v2',
    input_tokens: 100,
    output_tokens: 20,
    input: 'How do I reset my account?',
    output: i % 2 === 0 ? 'Use the reset link.' : 'There are many considerations here and the answer depends on a lot of things about your account.',
  }));
  assert.equal((await post('/v1/traces', { traces })).status, 202);
  const quality = await eventually(
    () => api(`/v1/metrics/quality?from=${from}&interval=none&group_by=name,prompt_version&source=eval`),
    (r) => r.body.rows?.reduce((s: number, row: any) => s + row.count, 0) === 2 * N,
    60_000,
    'eval scores for every trace',
  );
  const row = (name: string, pv: string) => quality.body.rows.find((r: any) => r.name === name && r.prompt_version === pv);
  assert.equal(row('concise', 'v1').mean, 1);
  assert.equal(row('concise', 'v2').mean, 0);
  assert.equal(row('concise', 'v2').failing_share, 1);
  assert.ok(Math.abs(row('helpfulness', 'v1').mean - 0.8) < 1e-9, String(row('helpfulness', 'v1').mean));
  assert.equal(row('helpfulness', 'v1').count, N / 2);
  // The judge was called with the key from the environment the rules file named.
  assert.equal(judge.requests[0].headers.authorization, 'Bearer sk-e2e-test');
});

test('judge calls are recorded as traces of feature eval_judge, priced', async () => {
  const cost = await eventually(
    () => api(`/v1/metrics/cost?from=${from}&interval=none&feature=eval_judge`),
    (r) => r.body.rows?.[0]?.requests === N / 2 * 2,
    30_000,
    'judge traces',
  );
  assert.equal(cost.body.rows[0].unpriced_requests, 0);
  assert.ok(Number(cost.body.rows[0].cost_usd) > 0);
});

test('user feedback is joined to its trace and shown separately from evals', async () => {
  const res = await post('/v1/feedback', { feedback: [
    { trace_id: 'q-0', value: 'up', user_id: 'u1' },
    { trace_id: 'q-1', value: 'down', user_id: 'u1' },
    { trace_id: 'q-1', value: 'down', user_id: 'u1' },
    { trace_id: 'not-seen-yet', value: { rating: 5 } },
  ] });
  assert.equal(res.status, 202);
  const q = await api(`/v1/metrics/quality?from=${from}&interval=none&group_by=prompt_version&source=user`);
  const byPv = Object.fromEntries(q.body.rows.map((r: any) => [r.prompt_version, r]));
  assert.equal(byPv.v1.count, 1);
  assert.equal(byPv.v1.mean, 1);
  assert.equal(byPv.v2.count, 1, 'the repeated vote counts once');
  assert.equal(byPv.v2.mean, 0);
  assert.equal(byPv[''].count, 1, 'feedback for an unknown trace still counts');
});

test('compare flags the regressed prompt version; SQL on scores agrees', async () => {
  const cmp = await api('/v1/quality/compare?feature=chat&baseline=v1&candidate=v2&source=eval');
  assert.equal(cmp.status, 200);
  assert.equal(cmp.body.test, 'welch_t_one_sided');
  const concise = cmp.body.scores.find((s: any) => s.name === 'concise');
  assert.equal(concise.pass_rate.regression, true);
  assert.equal(concise.baseline.count, N / 2);
  const sql = encodeURIComponent("SELECT source, count() AS n FROM scores FINAL GROUP BY source ORDER BY source FORMAT JSONEachRow");
  const text = await (await fetch(`${pipeline.clickhouseUrl}/?query=${sql}`)).text();
  assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l)), [{ source: 'eval', n: String(2 * N) }, { source: 'user', n: '3' }]);
});

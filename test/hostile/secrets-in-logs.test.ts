import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { scoreReply, startJudgeServer, type JudgeServer } from '../support/judge/fake-judge-server.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { captureStream, printFigures, SEED } from './hostile-support.ts';

/**
 * Secrets never reach the logs. The embedded pipeline runs with its logger at 'trace'
 * into a captured stream, with three secrets configured:
 * - CLICKHOUSE_SERVICE_PASSWORD (the ClickHouse HTTP interface's service user),
 * - a webhook receiver whose url_env names a URL carrying a token (digest + alerts),
 * - a judge API key in the env var an llm_judge rule names (api_key_env).
 * Traffic: ingest (valid + invalid), feedback, queries, SQL on the ClickHouse port with
 * every way of passing the password (right and wrong), judge calls (the first one
 * failing), a digest delivered to the webhook (the first attempt answered 500). After
 * stop, the whole log is searched for each secret (and its URL-encoded and Basic-auth
 * forms): zero occurrences.
 */
const dir = tempDir('hostile-secrets');
const logs = captureStream();
const tag = `${SEED}`;
const CH_PASSWORD = `chpw-${tag}-Zq8vX2`;
const WEBHOOK_TOKEN = `whtok-${tag}-Kp3rT9`;
const JUDGE_KEY = `sk-judge-${tag}-Lm4nB7`;
let pipeline: EmbeddedPipeline;
let judge: JudgeServer;
let hook: SlackReceiver;
let webhookUrl: string;
const now = Date.now();

before(async () => {
  // The judge answers the first call 500 (the retry path logs), then a score.
  judge = await startJudgeServer((req) => (req.n === 1 ? { status: 500, json: { error: { message: 'upstream failure' } } } : scoreReply(0.9, 'ok')));
  hook = await startSlackReceiver({ path: `/hooks/${WEBHOOK_TOKEN}` });
  hook.script({ status: 500, body: 'try again', retryAfter: '0' });
  webhookUrl = hook.url;
  const alerts = join(dir.path, 'alerts.json');
  writeFileSync(
    alerts,
    JSON.stringify({
      version: 1,
      receivers: [{ name: 'hook', type: 'webhook', url_env: 'HX_WEBHOOK_URL', allow_private: true }],
      routes: [{ receivers: ['hook'] }],
      digest: { receivers: ['hook'] },
    }),
  );
  const evals = join(dir.path, 'evals.json');
  writeFileSync(
    evals,
    JSON.stringify({
      version: 1,
      rules: [
        {
          name: 'helpful',
          sample_rate: 1,
          filter: { feature: 'chat' },
          evaluator: { type: 'llm_judge', base_url: judge.baseUrl, model: 'gpt-4o-mini', api_key_env: 'HX_JUDGE_KEY', rubric: 'Is it helpful?', threshold: 0.5, max_retries: 1 },
          budget_usd_per_day: 10,
        },
      ],
    }),
  );
  const config = loadConfig({
    DATA_DIR: join(dir.path, 'data'),
    PORT: '0',
    CLICKHOUSE_HTTP_PORT: '0',
    CLICKHOUSE_SERVICE_PASSWORD: CH_PASSWORD,
    ALERTS_FILE: alerts,
    EVALS_FILE: evals,
    LOG_LEVEL: 'trace',
  });
  const log = createLogger({ level: 'trace', destination: logs.stream });
  // What main.ts does at startup, and what a careless caller could do: log the config object.
  log.info({ config }, 'starting with configuration');
  pipeline = await startEmbeddedPipeline(config, log, { env: { HX_WEBHOOK_URL: webhookUrl, HX_JUDGE_KEY: JUDGE_KEY }, anomalyTickCron: null });
});

after(async () => {
  await pipeline?.stop();
  await judge?.close();
  await hook?.stop();
  dir.cleanup();
});

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${pipeline.apiUrl}${path}`, init);
  return { status: res.status, body: await res.json() };
}
const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const figures = { requests: 0, judge_calls: 0, webhook_posts: 0, clickhouse_requests: 0, log_lines: 0, log_bytes: 0 };

test('traffic through every secret-bearing path', async () => {
  const traces = Array.from({ length: 6 }, (_, i) => ({
    trace_id: `sec-${i}`,
    timestamp: new Date(now - 60_000).toISOString(),
    model: 'gpt-4o',
    feature: 'chat',
    input_tokens: 100,
    output_tokens: 10,
    input: 'question',
    output: 'answer',
  }));
  assert.equal((await post('/v1/traces', { traces })).status, 202);
  assert.equal((await post('/v1/traces', { traces: [{ trace_id: 1 }] })).status, 400);
  assert.equal((await post('/v1/feedback', { trace_id: 'sec-0', value: 'up' })).status, 202);
  assert.equal((await post('/v1/feedback', { trace_id: 'sec-0', value: 7 })).status, 400);
  assert.equal((await api('/v1/metrics/cost?interval=none')).status, 200);
  assert.equal((await api('/v1/metrics/cost?interval=week')).status, 400);
  assert.equal((await api('/v1/traces/sec-1')).status, 200);
  figures.requests += 7;

  // The ClickHouse HTTP interface: the password by Basic auth, by headers, in the URL; right and wrong.
  const q = encodeURIComponent('SELECT count() FROM traces FORMAT JSONEachRow');
  const basic = Buffer.from(`${'pipeline'}:${CH_PASSWORD}`).toString('base64');
  const attempts: [string, RequestInit?][] = [
    [`${pipeline.clickhouseUrl}/?query=${q}`, { headers: { authorization: `Basic ${basic}` } }],
    [`${pipeline.clickhouseUrl}/?query=${q}`, { headers: { 'x-clickhouse-user': 'pipeline', 'x-clickhouse-key': CH_PASSWORD } }],
    [`${pipeline.clickhouseUrl}/?user=pipeline&password=${encodeURIComponent(CH_PASSWORD)}&query=${q}`],
    [`${pipeline.clickhouseUrl}/?user=default&password=${encodeURIComponent(CH_PASSWORD)}&query=${q}`],
    [`${pipeline.clickhouseUrl}/?user=nobody&password=${encodeURIComponent(CH_PASSWORD)}&query=${q}`],
    [`${pipeline.clickhouseUrl}/?query=${q}`, { headers: { authorization: `Basic ${basic}`, 'x-clickhouse-key': CH_PASSWORD } }],
  ];
  for (const [url, init] of attempts) {
    const res = await fetch(url, init);
    await res.text();
    figures.clickhouse_requests++;
  }

  // Judge calls: every chat trace is sampled; the first call failed and was retried.
  await until('judge calls for every chat trace', () => judge.requests.length >= traces.length + 1);
  assert.equal(judge.requests[0].headers.authorization, `Bearer ${JUDGE_KEY}`, 'the key was really used');
  figures.judge_calls = judge.requests.length;

  // A webhook delivery: the digest goes to the receiver; its first attempt is answered 500.
  await pipeline.anomaly!.sendDigest();
  await until('the digest delivered after a retry', () => hook.accepted().length >= 1);
  assert.ok(hook.received.length >= 2, 'a failed attempt, then a delivered one');
  figures.webhook_posts = hook.received.length;
});

test('after stop, no secret appears anywhere in the trace-level log', async () => {
  await pipeline.stop();
  const text = logs.text();
  if (process.env.HOSTILE_DUMP_LOG) writeFileSync(process.env.HOSTILE_DUMP_LOG, text);
  figures.log_lines = text.split('\n').filter((l) => l.trim() !== '').length;
  figures.log_bytes = text.length;
  assert.ok(figures.log_lines > 20, `the capture saw the pipeline's log (${figures.log_lines} lines)`);
  assert.match(text, /alert delivery failed; will retry|alert delivered/, 'the webhook path logged');
  const forms = (s: string) => [...new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64'), JSON.stringify(s).slice(1, -1)])];
  const secrets: Record<string, string[]> = {
    CLICKHOUSE_SERVICE_PASSWORD: [...forms(CH_PASSWORD), Buffer.from(`pipeline:${CH_PASSWORD}`).toString('base64')],
    webhook_url_token: [...forms(WEBHOOK_TOKEN), webhookUrl],
    judge_api_key: forms(JUDGE_KEY),
  };
  const hits: Record<string, number> = {};
  for (const [name, values] of Object.entries(secrets)) {
    hits[name] = 0;
    for (const v of values) hits[name] += text.split(v).length - 1;
  }
  printFigures('secrets-in-logs', { ...figures, occurrences: hits });
  for (const [name, n] of Object.entries(hits)) {
    if (n > 0) {
      const line = text.split('\n').find((l) => secrets[name].some((v) => l.includes(v)));
      assert.fail(`${name} appears ${n} time(s) in the log, e.g.: ${line?.slice(0, 500)}`);
    }
  }
});

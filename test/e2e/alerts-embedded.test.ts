import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig, type Config } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { minutesBetween, sendMinutes } from '../helpers/alert-traffic.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Alerting end to end on the embedded default, on a simulated clock: a day of normal
 * traffic through HTTP ingest → enricher → writer and the anomaly service's own group,
 * then a 15-minute prompt-cache miss on one feature (cost ×3.4). The learned detector
 * (built-in defaults; only the receiver is configured) must fire once to a real HTTP
 * Slack receiver, survive a restart of the whole process without re-alerting, and
 * resolve once after the spike. The clock is simulated so a day takes seconds; every
 * component (bus, ClickHouse engine, HTTP, outbox on disk) is the real one.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const dir = tempDir('e2e-alerts');
const GRACE_MS = 120_000;
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * HOUR;
const SPIKE_FROM = T0 + 26 * HOUR;
const SPIKE_TO = SPIKE_FROM + 15 * MINUTE;
const cacheMiss = (feature: string, minute: number) => feature === 'support-chat' && minute >= SPIKE_FROM && minute < SPIKE_TO;

let clock = T0;
let slack: SlackReceiver;
let pipeline: EmbeddedPipeline;
let config: Config;
let consumedBefore = 0;
let sent = 0;

async function startPipeline(): Promise<void> {
  pipeline = await startEmbeddedPipeline(config, silentLogger(), { env: { E2E_SLACK_URL: `${slack.url}/hooks/e2e` }, now: () => clock, anomalyTickCron: null });
  consumedBefore = sent;
}

/** Sends [from, to) through ingest, waits until the anomaly group consumed it, then lets the clock pass the grace and ticks. */
async function play(from: number, to: number, chunkMinutes = 30): Promise<void> {
  for (let start = from; start < to; start += chunkMinutes * MINUTE) {
    const end = Math.min(start + chunkMinutes * MINUTE, to);
    sent += await sendMinutes(pipeline.apiUrl, minutesBetween(start, end), { cacheMiss });
    await until(() => assert.equal(pipeline.anomaly!.stats().consumed_traces, sent - consumedBefore), 60_000);
    clock = end + GRACE_MS;
    await pipeline.anomaly!.tick();
  }
}

/** Retries an assertion until it holds (or rethrows its last failure after timeoutMs). */
async function until(check: () => void, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const slackMessages = () => slack.accepted().map((r) => r.body as { text: string });

before(async () => {
  slack = await startSlackReceiver();
  const alerts = join(dir.path, 'alerts.json');
  writeFileSync(
    alerts,
    JSON.stringify({
      version: 1,
      grace_seconds: GRACE_MS / 1000,
      receivers: [{ name: 'oncall', type: 'slack', url_env: 'E2E_SLACK_URL', allow_private: true }],
      routes: [{ receivers: ['oncall'] }],
      digest: { receivers: ['oncall'] },
      budgets: [{ name: 'support-daily', feature: 'support-chat', daily_usd: 1000 }],
      query_api_url: 'http://127.0.0.1:3000',
    }),
  );
  config = loadConfig({ DATA_DIR: join(dir.path, 'data'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', ALERTS_FILE: alerts, ANOMALY_CATCHUP_MINUTES: '60' });
  await startPipeline();
});

after(async () => {
  await pipeline?.stop();
  await slack?.stop();
  dir.cleanup();
});

test('a day of normal traffic raises no alert', async () => {
  await play(T0, SPIKE_FROM);
  const stats = pipeline.anomaly!.stats();
  assert.ok(stats.minutes_judged >= 26 * 60, `judged ${stats.minutes_judged} minutes`);
  // Give the deliverer a moment; nothing may have been queued at all.
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(slackMessages().map((m) => m.text), []);
});

test('a cost spike on one feature reaches Slack once, naming the feature and the metric', async () => {
  await play(SPIKE_FROM, SPIKE_TO + 5 * MINUTE, 5);
  await until(() => assert.equal(slackMessages().length, 1));
  const [firing] = slackMessages();
  assert.match(firing.text, /support-chat/);
  assert.match(firing.text, /cost/i);
  const open = await (await fetch(`${pipeline.apiUrl}/v1/alerts?state=open`)).json();
  assert.ok(open.rows.some((r: { metric: string; feature: string; state: string }) => r.metric === 'cost_usd' && r.feature === 'support-chat' && r.state === 'firing'), JSON.stringify(open.rows));
});

test('a restart of the whole process warms from ClickHouse and does not re-alert', async () => {
  await pipeline.stop();
  await startPipeline();
  const stats = pipeline.anomaly!.stats();
  assert.ok(stats.warmed_minutes > 24 * 60, `warmed ${stats.warmed_minutes} minutes from the rollups`);
  await play(SPIKE_TO + 5 * MINUTE, SPIKE_TO + 10 * MINUTE, 5);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(slackMessages().length, 1, slackMessages().map((m) => m.text).join('\n---\n'));
});

test('after the spike the alert resolves once, and nothing else fired', async () => {
  await play(SPIKE_TO + 10 * MINUTE, SPIKE_TO + 90 * MINUTE, 10);
  await until(() => assert.equal(slackMessages().length, 2, slackMessages().map((m) => m.text).join("\n---\n")));
  const [firing, resolved] = slackMessages();
  assert.match(firing.text, /support-chat/);
  assert.match(resolved.text, /resolved/i);
  assert.match(resolved.text, /support-chat/);
  const rows = (await (await fetch(`${pipeline.apiUrl}/v1/alerts?from=${T0}&to=${clock}&feature=support-chat&metric=cost_usd`)).json()).rows as { state: string }[];
  assert.deepEqual([...new Set(rows.map((r) => r.state))].sort(), ['firing', 'pending', 'resolved'].filter((s) => rows.some((r) => r.state === s)));
  assert.ok(rows.some((r) => r.state === 'resolved'));
});

test('the daily digest sums up the last 24 hours from the rollups and goes to its receiver once', async () => {
  const digest = await pipeline.anomaly!.sendDigest();
  await pipeline.anomaly!.sendDigest(); // same hour: the same delivery id, not sent again
  await until(() => assert.equal(slackMessages().length, 3));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(slackMessages().length, 3);
  const text = slackMessages()[2].text;
  assert.equal(text, digest.text);
  for (const feature of ['support-chat', 'search', 'summarize']) assert.match(text, new RegExp(feature));
  assert.match(text, /support-daily/, 'the budget is in the digest');
});

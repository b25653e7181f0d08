import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minutesBetween, sendMinutes } from '../helpers/alert-traffic.ts';
import { startMockKafka, type MockKafka } from '../helpers/mock-kafka.ts';
import { eventually, freePort, startService, type ServiceProcess } from '../helpers/service-process.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';
import { clickhouseSql } from '../helpers/clickhouse-sql.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Alerting end to end, distributed: ingest, enricher, writer and the anomaly service as
 * separate processes over librdkafka's mock Kafka cluster, ClickHouse through the
 * `clickhouse` service. A day of history and then a 15-minute cost spike (a prompt-cache
 * miss on one feature) flow through the pipeline into the rollups; the anomaly service,
 * started afterwards, warms its baselines from those rollups and judges the minutes it
 * has not seen (catch-up after downtime): the spike must reach the Slack receiver once as
 * firing and once as resolved, both changes must be on llm.alerts, and a restart of the
 * anomaly process must not notify again.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PARTITIONS = 2;
const SERVICE_PASSWORD = 'e2e-alerts-secret';
const dir = tempDir('e2e-alerts-distributed');
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const T0 = NOW - 26 * HOUR;
const SPIKE_FROM = NOW - 70 * MINUTE;
const SPIKE_TO = SPIKE_FROM + 15 * MINUTE;
const HISTORY_TO = NOW - 5 * MINUTE;
const cacheMiss = (feature: string, minute: number) => feature === 'support-chat' && minute >= SPIKE_FROM && minute < SPIKE_TO;

let kafka: MockKafka;
let slack: SlackReceiver;
let env: Record<string, string>;
let chUrl: string;
let ingestUrl: string;
let anomaly: ServiceProcess;
const services: ServiceProcess[] = [];
let sent = 0;

const sql = clickhouseSql(() => chUrl);

function start(name: string, extra: Record<string, string> = {}): ServiceProcess {
  const s = startService(name, { ...env, ...extra });
  services.push(s);
  return s;
}

const slackTexts = () => slack.accepted().map((r) => (r.body as { text: string }).text);

before(async () => {
  kafka = await startMockKafka({ topics: ['llm.traces.raw', 'llm.traces.enriched', 'llm.dlq', 'llm.scores', 'llm.alerts'].map((name) => ({ name, partitions: PARTITIONS })) });
  slack = await startSlackReceiver();
  const [chPort, ingestPort] = [await freePort(), await freePort()];
  chUrl = `http://127.0.0.1:${chPort}`;
  ingestUrl = `http://127.0.0.1:${ingestPort}`;
  const alerts = join(dir.path, 'alerts.json');
  // The test's traffic stops when its history ends, minutes before the anomaly service
  // judges; a real app keeps sending. Traffic-level detection (requests) would rightly
  // report that silence as a drop to zero, so it is off here (the scenario suite covers it).
  writeFileSync(
    alerts,
    JSON.stringify({ version: 1, metrics: { requests: { enabled: false } }, receivers: [{ name: 'oncall', type: 'slack', url_env: 'E2E_SLACK_URL', allow_private: true }], routes: [{ receivers: ['oncall'] }] }),
  );
  env = {
    KAFKA_BROKERS: kafka.bootstrap,
    TOPIC_PARTITIONS: String(PARTITIONS),
    CLICKHOUSE_URL: chUrl,
    CLICKHOUSE_USER: 'pipeline',
    CLICKHOUSE_PASSWORD: SERVICE_PASSWORD,
    ALERTS_FILE: alerts,
    ALERTS_OUTBOX_DIR: join(dir.path, 'outbox'),
    ANOMALY_CATCHUP_MINUTES: '90',
    E2E_SLACK_URL: `${slack.url}/services/T000/B000/e2e`,
    EVALS_FILE: join(dir.path, 'no-evals.json'),
  };
  writeFileSync(env.EVALS_FILE, JSON.stringify({ version: 1, rules: [] }));
  const ch = start('clickhouse', { DATA_DIR: join(dir.path, 'data'), CLICKHOUSE_HTTP_PORT: String(chPort), CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD });
  await ch.waitForLog(/ClickHouse HTTP interface listening/);
  const pipeline = [start('writer'), start('enricher'), start('ingest', { PORT: String(ingestPort) })];
  await Promise.all(pipeline.map((s) => s.waitForLog(/service ready/)));
});

after(async () => {
  for (const s of services.reverse()) await s.stop('SIGKILL');
  await kafka?.stop();
  await slack?.stop();
  dir.cleanup();
});

test('a day of traffic with a cost spike flows through Kafka into the rollups', async () => {
  for (let from = T0; from < HISTORY_TO; from += 3 * HOUR) sent += await sendMinutes(ingestUrl, minutesBetween(from, Math.min(from + 3 * HOUR, HISTORY_TO)), { cacheMiss, perMinute: 8 });
  await eventually(() => sql('SELECT sum(requests) AS n FROM traces_1m'), (r) => Number(r[0]?.n) === sent, 180_000, `${sent} requests in traces_1m`);
});

test('the anomaly process warms from the rollups and sends the spike to Slack: firing, then resolved', async () => {
  anomaly = start('anomaly');
  await anomaly.waitForLog(/service ready/, 120_000);
  await eventually(async () => slackTexts(), (t) => t.length >= 2, 60_000, 'two Slack messages');
  await new Promise((r) => setTimeout(r, 1000));
  const texts = slackTexts();
  assert.equal(texts.length, 2, texts.join('\n---\n'));
  assert.match(texts[0], /Firing: cost_usd/);
  assert.match(texts[0], /support-chat/);
  assert.match(texts[1], /Resolved/i);
  assert.match(texts[1], /support-chat/);
  const rows = await sql(`SELECT state, count() AS n FROM alerts FINAL WHERE metric = 'cost_usd' AND feature = 'support-chat' AND covered_by = '' GROUP BY state ORDER BY state`);
  assert.ok(rows.some((r) => r.state === 'firing') && rows.some((r) => r.state === 'resolved'), JSON.stringify(rows));
});

test('every change is published on llm.alerts as JSON', async () => {
  const kcat = spawnSync('kcat', ['-b', kafka.bootstrap, '-C', '-t', 'llm.alerts', '-o', 'beginning', '-e', '-q', '-f', '%s\\n'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(kcat.status, 0, kcat.stderr);
  const changes = kcat.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: { metric: string; feature: string }; state: string });
  const spike = changes.filter((c) => c.key.metric === 'cost_usd' && c.key.feature === 'support-chat').map((c) => c.state);
  assert.ok(spike.includes('firing') && spike.includes('resolved'), JSON.stringify(spike));
  const [{ n }] = await sql('SELECT count() AS n FROM alerts FINAL');
  assert.equal(changes.length, Number(n), 'the topic carries exactly the stored changes');
});

test('a restart of the anomaly process does not notify again', async () => {
  const exit = await anomaly.stop('SIGTERM');
  assert.equal(exit.code, 0, anomaly.logs.slice(-5).join('\n'));
  anomaly = start('anomaly');
  await anomaly.waitForLog(/service ready/, 120_000);
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(slackTexts().length, 2, slackTexts().join('\n---\n'));
  const exit2 = await anomaly.stop('SIGTERM');
  assert.equal(exit2.code, 0);
});

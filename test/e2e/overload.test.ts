import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Overload on the embedded default: many more clients than the pipeline can serve, each
 * sending as fast as it is answered. Ingest must refuse what it cannot hold (503
 * `overloaded` + Retry-After, before reading the body), keep what it holds within
 * INGEST_MAX_PENDING_EVENTS, and store every event it answered 2xx for exactly once and
 * none it refused. (`npm run bench` runs the 60 s, 10× version and reports memory.)
 */
const dir = tempDir('e2e-overload');
let pipeline: EmbeddedPipeline;
const MAX_PENDING = 600;
const MAX_REQUESTS = 12;
const CLIENTS = 48;
const PER_REQUEST = 100;
const FLOOD_MS = 4_000;

before(async () => {
  const config = loadConfig({
    DATA_DIR: dir.path,
    PORT: '0',
    CLICKHOUSE_HTTP_PORT: '0',
    CLICKHOUSE_SERVICE_PASSWORD: 'service-secret',
    INGEST_MAX_PENDING_EVENTS: String(MAX_PENDING),
    INGEST_MAX_CONCURRENT_REQUESTS: String(MAX_REQUESTS),
    INGEST_ACK_TIMEOUT_MS: '60000',
    RATE_LIMIT_PER_MINUTE: '0',
    ANOMALY_ENABLED: 'false',
  });
  pipeline = await startEmbeddedPipeline(config, silentLogger());
});

after(async () => {
  await pipeline?.stop();
  dir.cleanup();
});

async function sql(query: string): Promise<string> {
  const res = await fetch(`${pipeline.clickhouseUrl}/`, { method: 'POST', body: query });
  assert.equal(res.status, 200);
  return (await res.text()).trim();
}

test('under a flood, ingest refuses with 503 overloaded + Retry-After, holds at most its bound, and stores every 2xx event exactly once', async () => {
  const accepted = new Set<string>();
  const refusedIds: string[] = [];
  const otherAnswers: string[] = [];
  let refusals = 0;
  let peakPending = 0;
  let seq = 0;
  const ts = new Date(Date.now() - 60_000).toISOString();
  const sampler = setInterval(() => {
    peakPending = Math.max(peakPending, pipeline.admission.counters().pendingEvents);
  }, 2);
  const until = Date.now() + FLOOD_MS;

  async function client(c: number): Promise<void> {
    while (Date.now() < until) {
      const ids = Array.from({ length: PER_REQUEST }, () => `ov-${c}-${seq++}`);
      const traces = ids.map((trace_id) => ({ trace_id, timestamp: ts, model: 'gpt-4o', feature: 'overload', input_tokens: 100, output_tokens: 10, latency_ms: 50 }));
      const res = await fetch(`${pipeline.apiUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces }) });
      const body = (await res.json()) as { error?: string; message?: string };
      if (res.status === 202) {
        for (const id of ids) accepted.add(id);
      } else if (res.status === 503 && body.error === 'overloaded') {
        assert.equal(res.headers.get('retry-after'), '1');
        assert.match(body.message ?? '', /INGEST_MAX_(PENDING_EVENTS|CONCURRENT_REQUESTS)/);
        refusals++;
        refusedIds.push(...ids);
      } else {
        otherAnswers.push(`${res.status} ${JSON.stringify(body)}`);
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  clearInterval(sampler);
  console.log(`# ${accepted.size} events accepted, ${refusals} requests refused, held events peaked at ${peakPending}`);

  assert.deepEqual(otherAnswers, [], 'every answer is 202 or 503 overloaded');
  assert.ok(accepted.size > 0, 'some events got through');
  assert.ok(refusals > 0, `${CLIENTS} clients against ${MAX_REQUESTS} request slots must see refusals`);
  assert.ok(peakPending <= MAX_PENDING, `held events peaked at ${peakPending}, bound ${MAX_PENDING}`);
  assert.equal(pipeline.admission.counters().pendingEvents, 0, 'nothing held once every client has its answer');

  // A 2xx means "in ClickHouse" on the embedded default: count at once.
  const [rows, distinct] = (await sql("SELECT count(), uniqExact(trace_id) FROM traces WHERE feature = 'overload' FORMAT TSV")).split('\t').map(Number);
  assert.equal(rows, accepted.size, 'every 2xx event stored, once');
  assert.equal(distinct, accepted.size);
  assert.equal(Number(await sql("SELECT sum(requests) FROM traces_1m WHERE feature = 'overload' FORMAT TSV")), accepted.size, 'the rollup counts each once too');
  const sample = refusedIds.slice(0, 2000).map((id) => `'${id}'`).join(',');
  assert.equal(Number(await sql(`SELECT count() FROM traces WHERE trace_id IN (${sample}) FORMAT TSV`)), 0, 'a refused event is not stored');
});

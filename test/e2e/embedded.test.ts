import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@clickhouse/client';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { expectedCostPico, picoToUsdText, priceOf } from '../helpers/expected-cost.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * End to end on the embedded default: every service in one process, in-process bus,
 * embedded ClickHouse. A 2xx from ingest means the rows are in ClickHouse, so sums are
 * read back immediately, from the query API and from SQL on the ClickHouse HTTP port.
 */
const dir = tempDir('e2e-embedded');
let pipeline: EmbeddedPipeline;
const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

const events = [
  { trace_id: 'e1', timestamp: at(5), model: 'gpt-4o', feature: 'chat', prompt_version: 'v1', input_tokens: 1000, cached_input_tokens: 400, output_tokens: 200, latency_ms: 800 },
  { trace_id: 'e2', timestamp: at(5), model: 'openai/gpt-4o', feature: 'chat', prompt_version: 'v2', input_tokens: 1000, cached_input_tokens: 400, output_tokens: 200, latency_ms: 1200, cost_usd: 0.0041 },
  { trace_id: 'e3', timestamp: at(4), model: 'gpt-4o', feature: 'chat', prompt_version: 'v2', input_tokens: 1000, cached_input_tokens: 400, output_tokens: 200, latency_ms: 1000, status: 'error', error_type: 'timeout' },
  { trace_id: 'e4', timestamp: at(3), model: 'claude-sonnet-4-5-20250929', feature: 'summarize', input_tokens: 5000, cached_input_tokens: 3000, cache_write_tokens: 1000, output_tokens: 500, latency_ms: 2000 },
  { trace_id: 'e5', timestamp: at(3), model: 'o3-mini', feature: 'summarize', input_tokens: 2000, output_tokens: 1500, reasoning_tokens: 1000, latency_ms: 3000 },
  { trace_id: 'e6', timestamp: at(2), model: 'acme-internal-llm', feature: 'chat', input_tokens: 100, output_tokens: 10, latency_ms: 100 },
];
const gpt4o = { input_tokens: 1000, cached_input_tokens: 400, output_tokens: 200 };
const chatPico = 3 * expectedCostPico('gpt-4o', gpt4o);
const summarizePico = expectedCostPico('claude-sonnet-4-5-20250929', events[3]) + expectedCostPico('o3-mini', events[4]);
const from = encodeURIComponent(at(60));

async function api(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const res = await fetch(`${pipeline.apiUrl}${path}`, init);
  return { status: res.status, body: await res.json() };
}
const postTraces = (body: unknown) =>
  api('/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

before(async () => {
  const config = loadConfig({
    DATA_DIR: dir.path,
    PORT: '0',
    CLICKHOUSE_HTTP_PORT: '0',
    CLICKHOUSE_SERVICE_PASSWORD: 'service-secret',
    INGEST_MAX_EVENTS: '50',
    INGEST_MAX_BODY_BYTES: '200000',
  });
  pipeline = await startEmbeddedPipeline(config, silentLogger());
});

after(async () => {
  await pipeline?.stop();
  dir.cleanup();
});

test('gpt-4o prices in the table are the ones this test was written against', () => {
  // $2.50 / 1M input, $1.25 / 1M cached input, $10 / 1M output: 600×2.5e-6 + 400×1.25e-6 + 200×1e-5 = $0.004
  assert.equal(expectedCostPico('gpt-4o', gpt4o), 4_000_000_000);
  assert.ok(priceOf('o3-mini').output > 0);
});

test('a batch is accepted with 202 and is queryable at once', async () => {
  const res = await postTraces({ traces: events });
  assert.equal(res.status, 202);
  assert.deepEqual(res.body, { accepted: 6, rejected: 0 });

  const cost = await api(`/v1/metrics/cost?group_by=feature&interval=none&from=${from}`);
  assert.equal(cost.status, 200);
  const byFeature = Object.fromEntries(cost.body.rows.map((r: any) => [r.feature, r]));
  assert.equal(byFeature.chat.requests, 4);
  assert.equal(byFeature.chat.cost_usd, picoToUsdText(chatPico));
  assert.equal(byFeature.chat.cost_usd, '0.012');
  assert.equal(byFeature.chat.unpriced_requests, 1, 'the unknown model is counted, not costed as 0');
  assert.equal(byFeature.chat.client_cost_usd, '0.0041', 'client-supplied cost kept beside ours');
  assert.equal(byFeature.summarize.requests, 2);
  assert.equal(byFeature.summarize.cost_usd, picoToUsdText(summarizePico));
});

test('regression: a group of only unpriced calls reports cost null, never "0"', async () => {
  const cost = await api(`/v1/metrics/cost?group_by=model&interval=none&from=${from}&model=acme-internal-llm`);
  assert.equal(cost.body.rows.length, 1);
  assert.equal(cost.body.rows[0].requests, 1);
  assert.equal(cost.body.rows[0].unpriced_requests, 1);
  assert.equal(cost.body.rows[0].cost_usd, null);
  assert.equal(cost.body.rows[0].cost_complete, false);
});

test('errors and latency come from the rollups', async () => {
  const errors = await api(`/v1/metrics/errors?group_by=feature&interval=none&from=${from}&feature=chat`);
  assert.equal(errors.body.rows.length, 1);
  assert.equal(errors.body.rows[0].errors, 1);
  assert.equal(errors.body.rows[0].requests, 4);
  const latency = await api(`/v1/metrics/latency?interval=none&from=${from}&feature=summarize`);
  assert.equal(latency.body.rows[0].latency_max_ms, 3000);
});

test('the unpriced model is listed, and a trace can be looked up', async () => {
  const unpriced = await api('/v1/models/unpriced');
  assert.equal(unpriced.status, 200);
  assert.ok(JSON.stringify(unpriced.body).includes('acme-internal-llm'));
  const trace = await api('/v1/traces/e6');
  assert.equal(trace.status, 200);
  assert.equal(trace.body.trace?.cost_usd ?? trace.body.cost_usd, null);
  assert.equal((await api('/v1/traces/nope')).status, 404);
});

test('SQL analysts get the same numbers on the ClickHouse HTTP interface (curl-style and @clickhouse/client)', async () => {
  const q = encodeURIComponent("SELECT count() AS n, toString(sum(cost_usd)) AS cost FROM traces WHERE feature = 'chat' FORMAT JSONEachRow");
  const res = await fetch(`${pipeline.clickhouseUrl}/?query=${q}`);
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(await res.text()), { n: '4', cost: '0.012' });

  const client = createClient({ url: pipeline.clickhouseUrl });
  const rs = await client.query({ query: 'SELECT sum(requests) AS r FROM traces_1m WHERE feature = {f:String}', query_params: { f: 'summarize' }, format: 'JSONEachRow' });
  assert.deepEqual(await rs.json(), [{ r: '2' }]);
  await assert.rejects(client.command({ query: 'DROP TABLE traces' }), /readonly|READONLY|read-only/i);
  await client.close();
});

test('a client retry of the same events does not double count, in traces or rollups', async () => {
  assert.equal((await postTraces({ traces: events })).status, 202);
  const cost = await api(`/v1/metrics/cost?interval=none&from=${from}`);
  assert.equal(cost.body.rows[0].requests, 6);
  assert.equal(cost.body.rows[0].cost_usd, picoToUsdText(chatPico + summarizePico));
});

test('bad events are rejected one by one (207) naming the field; good neighbours land', async () => {
  const res = await postTraces({
    traces: [
      { trace_id: 'ok-1', timestamp: at(1), model: 'gpt-4o', feature: 'batch207', input_tokens: 10, output_tokens: 1 },
      { trace_id: 'bad-1', timestamp: at(1), model: 'gpt-4o', input_tokens: 'ten' },
      { timestamp: at(1), model: 'gpt-4o' },
    ],
  });
  assert.equal(res.status, 207);
  assert.equal(res.body.accepted, 1);
  assert.equal(res.body.results[0].status, 'accepted');
  assert.equal(res.body.results[1].status, 'rejected');
  assert.match(res.body.results[1].error, /input_tokens: expected a whole number of tokens/);
  assert.match(res.body.results[2].error, /trace_id: required field is missing/);
  const cost = await api(`/v1/metrics/cost?interval=none&from=${from}&feature=batch207`);
  assert.equal(cost.body.rows[0].requests, 1);
});

test('not JSON, not a batch, too many events and too large a body get 400/413 with a reason', async () => {
  const notJson = await postTraces('{"traces": [');
  assert.equal(notJson.status, 400);
  assert.equal(notJson.body.error, 'bad_request');
  const notBatch = await postTraces({ events: [] });
  assert.equal(notBatch.status, 400);
  assert.match(notBatch.body.message, /"traces"/);
  const tooMany = await postTraces({ traces: Array.from({ length: 51 }, (_, i) => ({ trace_id: `m${i}`, timestamp: at(1), model: 'gpt-4o' })) });
  assert.equal(tooMany.status, 413);
  const tooBig = await postTraces({ traces: [{ trace_id: 'big', timestamp: at(1), model: 'gpt-4o', input: 'x'.repeat(300_000) }] });
  assert.equal(tooBig.status, 413);
  const allBad = await postTraces({ traces: [{ trace_id: 'x' }] });
  assert.equal(allBad.status, 400);
  assert.equal(allBad.body.results[0].status, 'rejected');
});

test('health and readiness', async () => {
  assert.equal((await api('/healthz')).status, 200);
  assert.equal((await api('/readyz')).status, 200);
});

test('how a call was billed: priority tier, 1-hour cache writes, audio; a tier the model has no price for is priced at standard and marked', async () => {
  const billing = [
    // gpt-4o priority: 600 × 4.25e-6 + 400 × 2.125e-6 (cached) + 200 × 1.7e-5 = $0.0068
    { trace_id: 'bill-1', timestamp: at(1), model: 'gpt-4o', feature: 'billing', service_tier: 'priority', input_tokens: 1000, cached_input_tokens: 400, output_tokens: 200 },
    // claude-sonnet-4-5, batch (no batch price in the table → standard, marked):
    // 1000 × 3e-6 + 400 × 3.75e-6 (5-minute writes) + 600 × 6e-6 (1-hour writes) + 100 × 1.5e-5 = $0.0096
    { trace_id: 'bill-2', timestamp: at(1), model: 'claude-sonnet-4-5', feature: 'billing', service_tier: 'batch', input_tokens: 2000, cache_write_tokens: 1000, cache_write_1h_tokens: 600, output_tokens: 100 },
    // gpt-4o-audio-preview: 400 × 2.5e-6 + 600 × 4e-5 (audio in) + 100 × 1e-5 + 400 × 8e-5 (audio out) = $0.058
    { trace_id: 'bill-3', timestamp: at(1), model: 'gpt-4o-audio-preview', feature: 'billing', input_tokens: 1000, input_audio_tokens: 600, output_tokens: 500, output_audio_tokens: 400 },
  ];
  assert.equal((await postTraces({ traces: billing })).status, 202);
  const trace = async (id: string) => {
    const r = await api(`/v1/traces/${id}`);
    assert.equal(r.status, 200);
    return r.body.trace ?? r.body;
  };
  const priority = await trace('bill-1');
  assert.equal(priority.cost_usd, '0.0068');
  assert.equal(priority.service_tier, 'priority');
  assert.equal(priority.pricing_status, 'priced');
  assert.equal(priority.pricing_note, null);

  const batch = await trace('bill-2');
  assert.equal(batch.cost_usd, '0.0096');
  assert.equal(batch.pricing_status, 'fallback_rate');
  assert.equal(batch.pricing_note, 'batch: no batch price for this model, billed at the standard price');
  assert.equal(batch.cache_write_1h_tokens, 600);
  assert.equal(batch.cost_breakdown_usd.cache_write, '0.0015');
  assert.equal(batch.cost_breakdown_usd.cache_write_1h, '0.0036');

  const audio = await trace('bill-3');
  assert.equal(audio.cost_usd, '0.058');
  assert.deepEqual([audio.cost_breakdown_usd.input_audio, audio.cost_breakdown_usd.output_audio], ['0.024', '0.032']);

  // the rollups carry the total; the unpriced count does not include a marked call
  const cost = await api(`/v1/metrics/cost?interval=none&from=${from}&feature=billing`);
  assert.equal(cost.body.rows[0].requests, 3);
  assert.equal(cost.body.rows[0].cost_usd, '0.0744');
  assert.equal(cost.body.rows[0].unpriced_requests, 0);
  assert.equal(cost.body.rows[0].fallback_rate_requests, 1, 'the batch call priced at standard is counted');
  assert.deepEqual(
    [cost.body.rows[0].cache_write_1h_tokens, cost.body.rows[0].input_audio_tokens, cost.body.rows[0].output_audio_tokens],
    [600, 600, 400],
  );

  // and in SQL, the parts sum to the total
  const q = encodeURIComponent(
    "SELECT toString(sum(cost_usd)) AS total, toString(sum(input_cost_usd + cache_read_cost_usd + cache_write_cost_usd + cache_write_1h_cost_usd + input_audio_cost_usd + input_image_cost_usd + output_cost_usd + reasoning_cost_usd + output_audio_cost_usd + output_image_cost_usd)) AS parts FROM traces WHERE feature = 'billing' FORMAT JSONEachRow",
  );
  const res = await fetch(`${pipeline.clickhouseUrl}/?query=${q}`);
  assert.deepEqual(JSON.parse(await res.text()), { total: '0.0744', parts: '0.0744' });
});

test('a part larger than its whole is refused with 400 naming both fields', async () => {
  const res = await postTraces({ traces: [{ trace_id: 'bill-bad', timestamp: at(1), model: 'gpt-4o', input_tokens: 10, input_audio_tokens: 11 }] });
  assert.equal(res.status, 400);
  assert.match(res.body.results[0].error, /input_audio_tokens: exceeds input_tokens/);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { expectedCostPico, picoToUsdText } from '../helpers/expected-cost.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Traces as trees of spans, end to end on the embedded default (issue 12): an agent run
 * sent as our own JSON events with span fields is stored span by span; only its LLM
 * spans are priced and counted by the rollups (the agent and tool spans are
 * `not_model_call`, never "unpriced"); a resend of the whole run (a client that never saw
 * its 2xx) changes nothing; two runs with the same span ids in different traces are
 * different rows.
 */
const dir = tempDir('e2e-spans');
let pipeline: EmbeddedPipeline;
let ch: ClickHouseClient;
const t0 = Date.now() - 10 * 60_000;
const FEATURE = 'spans-agent';

function agentRun(traceId: string) {
  const common = { trace_id: traceId, feature: FEATURE, session_id: 'sess-1', user_id: 'user-1' };
  return [
    { ...common, span_id: 'a0', span_kind: 'agent', span_name: 'invoke_agent support', timestamp: t0, latency_ms: 4000 },
    { ...common, span_id: 'l1', parent_span_id: 'a0', span_kind: 'llm', span_name: 'chat', timestamp: t0 + 10, model: 'gpt-4o', input_tokens: 1000, output_tokens: 200, latency_ms: 900 },
    { ...common, span_id: 't1', parent_span_id: 'a0', span_kind: 'tool', span_name: 'execute_tool lookup_order', timestamp: t0 + 950, latency_ms: 40, status: 'error', error_type: 'OrderNotFound' },
    { ...common, span_id: 'l2', parent_span_id: 'a0', span_kind: 'llm', span_name: 'chat', timestamp: t0 + 1000, model: 'gpt-4o-mini', input_tokens: 3000, output_tokens: 100, latency_ms: 700 },
  ];
}
const runPico = expectedCostPico('gpt-4o', { input_tokens: 1000, output_tokens: 200 }) + expectedCostPico('gpt-4o-mini', { input_tokens: 3000, output_tokens: 100 });

async function sql<T = Record<string, unknown>>(query: string): Promise<T[]> {
  const rs = await ch.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}
async function post(traces: unknown[]): Promise<number> {
  const res = await fetch(`${pipeline.apiUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces }) });
  await res.arrayBuffer();
  return res.status;
}

before(async () => {
  pipeline = await startEmbeddedPipeline(loadConfig({ DATA_DIR: dir.path, PORT: '0', CLICKHOUSE_HTTP_PORT: '0', CLICKHOUSE_SERVICE_PASSWORD: 'service-secret' }), silentLogger());
  ch = createClient({ url: pipeline.clickhouseUrl });
});
after(async () => {
  await ch?.close();
  await pipeline?.stop();
  dir.cleanup();
});

test('an agent run is stored span by span; only its LLM spans are priced and counted', async () => {
  assert.equal(await post(agentRun('run-1')), 202);
  const spans = await sql<{ span_id: string; parent_span_id: string; span_kind: string; pricing_status: string; cost: string | null; status: string }>(
    `SELECT span_id, parent_span_id, span_kind, pricing_status, toString(cost_usd) AS cost, status FROM traces FINAL WHERE trace_id = 'run-1' ORDER BY ts`,
  );
  assert.deepEqual(
    spans.map((s) => [s.span_id, s.parent_span_id, s.span_kind, s.pricing_status, s.status]),
    [
      ['a0', '', 'agent', 'not_model_call', 'ok'],
      ['l1', 'a0', 'llm', 'priced', 'ok'],
      ['t1', 'a0', 'tool', 'not_model_call', 'error'],
      ['l2', 'a0', 'llm', 'priced', 'ok'],
    ],
  );
  const [r] = await sql<{ m: string; h: string; e: string; u: string; c: string; up: string }>(
    `SELECT (SELECT sum(requests) FROM traces_1m WHERE feature = '${FEATURE}') AS m, (SELECT sum(requests) FROM traces_1h WHERE feature = '${FEATURE}') AS h,
            (SELECT sum(errors) FROM traces_1m WHERE feature = '${FEATURE}') AS e, (SELECT sum(unpriced) FROM traces_1m WHERE feature = '${FEATURE}') AS u,
            (SELECT toString(sum(cost_usd_sum)) FROM traces_1h WHERE feature = '${FEATURE}') AS c,
            (SELECT count() FROM unpriced_models WHERE feature = '${FEATURE}') AS up`,
  );
  assert.deepEqual([Number(r.m), Number(r.h), Number(r.e), Number(r.u), Number(r.up)], [2, 2, 0, 0, 0], 'two LLM calls; the tool error is not an LLM error; nothing unpriced');
  assert.equal(r.c, picoToUsdText(BigInt(runPico)));
});

test('a resend of the whole run changes nothing; the same span ids in another trace are other rows', async () => {
  assert.equal(await post(agentRun('run-1')), 202);
  assert.equal(await post(agentRun('run-2')), 202);
  const [r] = await sql<{ rows: string; spans: string; m: string }>(
    `SELECT (SELECT count() FROM traces WHERE feature = '${FEATURE}') AS rows, (SELECT uniqExact(trace_id, span_id) FROM traces WHERE feature = '${FEATURE}') AS spans,
            (SELECT sum(requests) FROM traces_1m WHERE feature = '${FEATURE}') AS m`,
  );
  assert.deepEqual([Number(r.rows), Number(r.spans), Number(r.m)], [8, 8, 4]);
});

test('GET /v1/traces/:id returns the run as a tree with each subtree totals; GET /v1/sessions/:id lists its runs', async () => {
  const res = await fetch(`${pipeline.apiUrl}/v1/traces/run-1`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual([body.span_id, body.span_kind, body.run.span_count, body.run.truncated], ['a0', 'agent', 4, false], 'the root span first, then the run');
  assert.equal(body.run.totals.cost_usd, picoToUsdText(BigInt(runPico)));
  assert.deepEqual([body.run.totals.model_calls, body.run.totals.errors, body.run.totals.input_tokens, body.run.totals.latency_ms], [2, 1, 4000, 4000]);
  const [root] = body.spans;
  assert.deepEqual(root.children.map((c: { span_id: string }) => c.span_id), ['l1', 't1', 'l2']);
  assert.equal(root.children[0].subtree.cost_usd, picoToUsdText(BigInt(expectedCostPico('gpt-4o', { input_tokens: 1000, output_tokens: 200 }))));
  assert.equal(root.subtree.cost_usd, body.run.totals.cost_usd);

  const s = await (await fetch(`${pipeline.apiUrl}/v1/sessions/sess-1`)).json();
  assert.deepEqual(s.traces.map((t: { trace_id: string }) => t.trace_id), ['run-1', 'run-2']);
  assert.deepEqual(s.users, ['user-1']);
  assert.equal(s.totals.cost_usd, picoToUsdText(BigInt(2 * runPico)));
  assert.deepEqual([s.totals.model_calls, s.totals.spans, s.traces[0].models], [4, 8, ['gpt-4o', 'gpt-4o-mini']]);
  const missing = await fetch(`${pipeline.apiUrl}/v1/sessions/nope`);
  assert.equal(missing.status, 404);
});

test('cost by user, session and metadata key, top-N by cost (raw spans: too many users for a rollup)', async () => {
  const at = Date.now() - 5 * 60_000;
  const call = (i: number, user: string, team: string, input: number) => ({
    trace_id: `u-${i}`, timestamp: at + i, model: 'gpt-4o-mini', feature: 'by-user', user_id: user, session_id: `s-${user}`, input_tokens: input, output_tokens: 10, metadata: { team },
  });
  assert.equal(await post([call(1, 'ann', 'red', 5000), call(2, 'ann', 'red', 5000), call(3, 'ben', 'blue', 20000), call(4, 'cy', 'blue', 100)]), 202);
  const pico = (input: number) => expectedCostPico('gpt-4o-mini', { input_tokens: input, output_tokens: 10 });
  const get = async (q: string) => {
    const res = await fetch(`${pipeline.apiUrl}/v1/metrics/cost?feature=by-user&${q}`);
    return { status: res.status, body: await res.json() };
  };
  const top = await get('group_by=user_id&order=cost_desc&limit=2');
  assert.equal(top.status, 200, JSON.stringify(top.body));
  assert.deepEqual(
    top.body.rows.map((r: { user_id: string; requests: number; cost_usd: string }) => [r.user_id, r.requests, r.cost_usd]),
    [
      ['ben', 1, picoToUsdText(BigInt(pico(20000)))],
      ['ann', 2, picoToUsdText(BigInt(2 * pico(5000)))],
    ],
  );
  assert.deepEqual([top.body.truncated, top.body.order, top.body.limit, top.body.resolution], [true, 'cost_desc', 2, 'span']);
  const teams = await get('group_by=metadata.team&order=requests_desc');
  assert.deepEqual(teams.body.rows.map((r: Record<string, unknown>) => [r['metadata.team'], r.requests]), [['blue', 2], ['red', 2]]);
  const one = await get('user_id=cy&group_by=session_id');
  assert.deepEqual(one.body.rows.map((r: { session_id: string; requests: number }) => [r.session_id, r.requests]), [['s-cy', 1]]);
  const bad = await get('group_by=user_id&order=latency_p95_desc&limit=0&interval=hour');
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.body.fields.map((f: { field: string }) => f.field).sort(), ['interval', 'limit', 'order']);
  const inject = await get(`group_by=${encodeURIComponent("metadata.x'; DROP TABLE traces; --")}`);
  assert.equal(inject.status, 400, 'a metadata key is a name, not SQL');
});

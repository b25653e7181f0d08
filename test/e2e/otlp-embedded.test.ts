import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { TRACE_EXPORT_PATH } from '../../services/ingest/otlp/otlp-grpc.ts';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { expectedCostPico, picoToUsdText } from '../helpers/expected-cost.ts';
import { decodeOtlpResponse, encodeOtlpRequest } from '../helpers/otlp-protobuf.ts';
import { startOtelAgentApp } from '../helpers/otel-agent-app.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * OTLP ingest end to end on the embedded default (issue 12): apps instrumented with the
 * official OpenTelemetry JS SDK, their exporter pointed at /otlp/v1/traces (protobuf,
 * protobuf + gzip, JSON), are stored as trees of spans and priced exactly, with sessions
 * and users; hostile requests get a 4xx naming the problem or a partial success, never a
 * 5xx, and nothing of a refused request is stored.
 */
const dir = tempDir('e2e-otlp');
let pipeline: EmbeddedPipeline;
let ch: ClickHouseClient;
let url: string;
const MAX_SPANS = 2_000;

async function sql<T = Record<string, unknown>>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const rs = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}
const postRaw = (body: Buffer | string, headers: Record<string, string>) => fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });

before(async () => {
  pipeline = await startEmbeddedPipeline(
    loadConfig({ DATA_DIR: dir.path, PORT: '0', CLICKHOUSE_HTTP_PORT: '0', CLICKHOUSE_SERVICE_PASSWORD: 'service-secret', INGEST_OTLP_MAX_SPANS: String(MAX_SPANS), INGEST_MAX_BODY_BYTES: String(4 << 20), OTLP_GRPC_PORT: '0' }),
    silentLogger(),
  );
  ch = createClient({ url: pipeline.clickhouseUrl });
  url = `${pipeline.apiUrl}/otlp/v1/traces`;
});
after(async () => {
  await ch?.close();
  await pipeline?.stop();
  dir.cleanup();
});

const planPico = expectedCostPico('gpt-4o-2024-08-06', { input_tokens: 1200, output_tokens: 80, cached_input_tokens: 1024 });
const answerPico = expectedCostPico('claude-sonnet-4-5', { input_tokens: 2000, output_tokens: 300, cache_write_tokens: 500 });

describe('OTLP/HTTP from the OpenTelemetry JS SDK', () => {
  for (const [protocol, gzip] of [
    ['http/protobuf', false],
    ['http/protobuf', true],
    ['http/json', false],
    ['grpc', false],
    ['grpc', true],
  ] as const) {
    it(`${protocol}${gzip ? ' + gzip' : ''}: agent runs stored as trees, LLM spans priced exactly, sessions and users`, async () => {
      const service = `otlp-${protocol.replace('/', '-')}${gzip ? '-gz' : ''}`;
      const target = protocol === 'grpc' ? `http://127.0.0.1:${pipeline.otlpGrpcPort}` : url;
      const app = startOtelAgentApp({ url: target, protocol, gzip, serviceName: service });
      const runs = [app.runAgent({ session: `${service}-s1`, user: 'alice' }), app.runAgent({ session: `${service}-s1`, user: 'alice', toolFails: true }), app.runAgent({ session: `${service}-s2`, user: 'bob' })];
      await app.flush();
      await app.shutdown();

      const rows = await sql<{ trace_id: string; span_id: string; parent_span_id: string; span_kind: string; pricing_status: string; cost: string | null; model: string }>(
        'SELECT trace_id, span_id, parent_span_id, span_kind, pricing_status, toString(cost_usd) AS cost, model FROM traces FINAL WHERE feature = {f:String}',
        { f: service },
      );
      assert.equal(rows.length, 12, 'four spans per run');
      for (const run of runs) {
        const mine = new Map(rows.filter((r) => r.trace_id === run.traceId).map((r) => [r.span_id, r]));
        assert.deepEqual(
          (['agent', 'plan', 'tool', 'answer'] as const).map((k) => [mine.get(run.spanIds[k])?.span_kind, mine.get(run.spanIds[k])?.parent_span_id]),
          [
            ['agent', ''],
            ['llm', run.spanIds.agent],
            ['tool', run.spanIds.agent],
            ['llm', run.spanIds.agent],
          ],
        );
        assert.equal(mine.get(run.spanIds.plan)!.cost, picoToUsdText(planPico));
        assert.equal(mine.get(run.spanIds.answer)!.cost, picoToUsdText(answerPico));
        assert.equal(mine.get(run.spanIds.tool)!.pricing_status, 'not_model_call');
      }
      const bySession = await sql<{ session_id: string; users: string[]; llm: string; cost: string }>(
        "SELECT session_id, groupUniqArray(user_id) AS users, countIf(span_kind = 'llm') AS llm, toString(sum(ifNull(cost_usd, 0))) AS cost FROM traces FINAL WHERE feature = {f:String} AND session_id != '' GROUP BY session_id ORDER BY session_id",
        { f: service },
      );
      assert.deepEqual(
        bySession.map((s) => [s.session_id, s.users, Number(s.llm), s.cost]),
        [
          [`${service}-s1`, ['alice'], 4, picoToUsdText(2 * (planPico + answerPico))],
          [`${service}-s2`, ['bob'], 2, picoToUsdText(planPico + answerPico)],
        ],
      );
      const [r] = await sql<{ n: string; e: string; u: string }>('SELECT sum(requests) AS n, sum(errors) AS e, sum(unpriced) AS u FROM traces_1m WHERE feature = {f:String}', { f: service });
      assert.deepEqual([Number(r.n), Number(r.e), Number(r.u)], [6, 0, 0], 'the rollups count the six LLM calls; a failing tool is not an LLM error');
    });
  }
});

const T = (i: number) => i.toString(16).padStart(32, '0');
const S = (i: number) => i.toString(16).padStart(16, '0');
const nowNs = () => String(BigInt(Date.now()) * 1_000_000n);
function jsonSpan(trace: string, span: string, parent: string, extra: Record<string, unknown> = {}) {
  const start = nowNs();
  return {
    traceId: trace,
    spanId: span,
    parentSpanId: parent,
    name: 'chat',
    kind: 3,
    startTimeUnixNano: start,
    endTimeUnixNano: start,
    attributes: [
      { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: '10' } },
      { key: 'feature', value: { stringValue: 'otlp-hostile' } },
    ],
    ...extra,
  };
}
const jsonRequest = (spans: unknown[]) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] });
const stored = async (trace: string) => Number((await sql<{ n: string }>('SELECT count() AS n FROM traces WHERE trace_id = {t:String}', { t: trace }))[0].n);

describe('OTLP hostile input', () => {
  it('malformed protobuf, a wrong content type or encoding, a JSON body that is not an export: 4xx naming it, nothing stored', async () => {
    const bad = await postRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), { 'content-type': 'application/x-protobuf' });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).message, /not a protobuf ExportTraceServiceRequest/);
    const xml = await postRaw('<spans/>', { 'content-type': 'application/xml' });
    assert.equal(xml.status, 415);
    assert.match((await xml.json()).message, /application\/x-protobuf or application\/json/);
    const br = await postRaw(jsonRequest([]), { 'content-type': 'application/json', 'content-encoding': 'br' });
    assert.equal(br.status, 415);
    const notExport = await postRaw('{"traces":[]}', { 'content-type': 'application/json' });
    assert.equal(notExport.status, 400);
    assert.match((await notExport.json()).message, /resourceSpans: missing/);
    const brokenGzip = await postRaw(Buffer.from('not gzip at all'), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.ok(brokenGzip.status >= 400 && brokenGzip.status < 500, `broken gzip: ${brokenGzip.status}`);
  });

  it('ids of the wrong length and parent cycles: a partial success naming them; the valid spans are stored', async () => {
    const trace = T(0xabc1);
    const res = await postRaw(
      jsonRequest([
        jsonSpan(trace, S(1), ''),
        jsonSpan(trace, 'abcd', S(1)), // 2 bytes
        jsonSpan(T(0), S(2), ''), // all-zero trace id
        jsonSpan(trace, S(3), S(4)), // 3 → 4 → 3
        jsonSpan(trace, S(4), S(3)),
        jsonSpan(trace, S(5), S(5)), // its own parent
      ]),
      { 'content-type': 'application/json' },
    );
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.partialSuccess.rejectedSpans, '5');
    assert.match(body.partialSuccess.errorMessage, /spans\[1\]\.spanId: expected 8 bytes, not all zero \(16 hex digits in JSON\), got 2 bytes/);
    assert.match(body.partialSuccess.errorMessage, /spans\[2\]\.traceId/);
    assert.match(body.partialSuccess.errorMessage, /spans\[3\]\.parentSpanId: on a cycle of parent ids/);
    assert.equal(await stored(trace), 1);
  });

  it('protobuf partial success is a protobuf ExportTraceServiceResponse', async () => {
    const start = nowNs();
    const span = (id: Buffer) => ({ trace_id: Buffer.from(T(0xabc2), 'hex'), span_id: id, name: 'x', start_time_unix_nano: start, end_time_unix_nano: start, attributes: [{ key: 'gen_ai.request.model', value: { string_value: 'gpt-4o-mini' } }] });
    const res = await postRaw(Buffer.from(encodeOtlpRequest({ resource_spans: [{ scope_spans: [{ spans: [span(Buffer.from(S(7), 'hex')), span(Buffer.alloc(3, 1))] }] }] })), { 'content-type': 'application/x-protobuf' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const answer = decodeOtlpResponse(new Uint8Array(await res.arrayBuffer()));
    assert.equal(answer?.rejected_spans, 1);
    assert.match(answer!.error_message, /spanId: expected 8 bytes/);
    assert.equal(await stored(T(0xabc2)), 1);
  });

  it('more spans than INGEST_OTLP_MAX_SPANS: 413, nothing stored; a gzip body past the body limit once inflated: 413', async () => {
    const trace = T(0xabc3);
    const many = Array.from({ length: MAX_SPANS + 1 }, (_, i) => jsonSpan(trace, S(i + 1), ''));
    const res = await postRaw(jsonRequest(many), { 'content-type': 'application/json' });
    assert.equal(res.status, 413);
    assert.match((await res.json()).message, /2001 spans in one request, at most 2000/);
    assert.equal(await stored(trace), 0);
    const bomb = gzipSync(Buffer.from(`{"resourceSpans":[],"pad":"${'x'.repeat(8 << 20)}"}`));
    assert.ok(bomb.length < 100_000, 'small on the wire');
    const inflated = await postRaw(bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(inflated.status, 413);
  });

  it('a deep tree (1,000 levels, one request) is stored whole', async () => {
    const trace = T(0xabc4);
    const spans = Array.from({ length: 1000 }, (_, i) => jsonSpan(trace, S(i + 1), i === 0 ? '' : S(i)));
    const res = await postRaw(jsonRequest(spans), { 'content-type': 'application/json' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    assert.equal(await stored(trace), 1000);
  });

  it('OTLP/gRPC: malformed protobuf is INVALID_ARGUMENT naming it; bad span ids a partial success; nothing of a refused request stored', async () => {
    const client = new grpc.Client(`127.0.0.1:${pipeline.otlpGrpcPort}`, grpc.credentials.createInsecure());
    const call = (body: Buffer) =>
      new Promise<{ err: grpc.ServiceError | null; res?: Buffer }>((resolve) =>
        client.makeUnaryRequest(TRACE_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, body, (err, res) => resolve({ err, res })),
      );
    try {
      const bad = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
      assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(bad.err!.details, /not a protobuf ExportTraceServiceRequest/);
      const start = nowNs();
      const span = (id: Buffer) => ({ trace_id: Buffer.from(T(0xabc5), 'hex'), span_id: id, name: 'x', start_time_unix_nano: start, end_time_unix_nano: start, attributes: [{ key: 'gen_ai.request.model', value: { string_value: 'gpt-4o-mini' } }] });
      const partial = await call(Buffer.from(encodeOtlpRequest({ resource_spans: [{ scope_spans: [{ spans: [span(Buffer.from(S(9), 'hex')), span(Buffer.alloc(2, 1))] }] }] })));
      assert.equal(partial.err, null);
      assert.equal(decodeOtlpResponse(new Uint8Array(partial.res!))?.rejected_spans, 1);
      assert.equal(await stored(T(0xabc5)), 1);
    } finally {
      client.close();
    }
  });
});

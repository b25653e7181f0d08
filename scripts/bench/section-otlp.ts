/**
 * Section 8 — OTLP ingest: spans/s through POST /otlp/v1/traces on the all-in-one
 * (`npm start` as its own process), once as protobuf and once as OTLP/JSON, each request
 * the OpenTelemetry SDK's default batch (512 spans) of agent runs (an agent span, two LLM
 * spans, a tool span), from concurrent clients until every span is acknowledged and
 * counted exactly in `traces` (spans) and `traces_1m` (the LLM spans).
 */
import { join } from 'node:path';
import { freePort } from '../../test/helpers/service-process.ts';
import { encodeOtlpRequest } from '../../test/helpers/otlp-protobuf.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import type { BenchOptions } from './args.ts';
import { chRows, SERVICE_PASSWORD, SERVICE_USER, type ChTarget } from './ch.ts';
import { procMemory, progress, runSectionMain, sectionOptions, sleep, startNode } from './proc.ts';
import { rate } from './stats.ts';

export interface OtlpEncodingResult {
  spans: number;
  requests: number;
  avgRequestKiB: number;
  seconds: number;
  spansPerS: number;
  exact: boolean;
}
export interface OtlpResult {
  spansPerRequest: number;
  clients: number;
  protobuf: OtlpEncodingResult;
  json: OtlpEncodingResult;
  pipelinePeakRssMiB: number;
}

const SPANS_PER_REQUEST = 512;
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');

/** `runs` agent runs as OTLP spans in the protobufjs object form (snake_case) and OTLP/JSON. */
function agentRunSpans(tag: number, runs: number, nowNs: bigint) {
  const proto: Record<string, unknown>[] = [];
  const json: Record<string, unknown>[] = [];
  const kv = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { string_value: v } : { int_value: v } });
  const kvJson = (key: string, v: string | number) => ({ key, value: typeof v === 'string' ? { stringValue: v } : { intValue: String(v) } });
  for (let r = 0; r < runs; r++) {
    const trace = hex(tag + 1, 8) + hex(r, 24); // never all zero (an invalid OTLP trace id)
    const kinds: [string, string, [string, string | number][]][] = [
      ['invoke_agent support', '', [['gen_ai.operation.name', 'invoke_agent'], ['gen_ai.conversation.id', `s-${r % 97}`], ['user.id', `u-${r % 31}`]]],
      ['chat gpt-4o-mini', '1', [['gen_ai.operation.name', 'chat'], ['gen_ai.request.model', 'gpt-4o-mini'], ['gen_ai.usage.input_tokens', 1200], ['gen_ai.usage.output_tokens', 80]]],
      ['execute_tool search', '1', [['gen_ai.operation.name', 'execute_tool'], ['gen_ai.tool.name', 'search']]],
      ['chat gpt-4o', '1', [['gen_ai.operation.name', 'chat'], ['gen_ai.request.model', 'gpt-4o'], ['gen_ai.usage.input_tokens', 3000], ['gen_ai.usage.output_tokens', 300]]],
    ];
    kinds.forEach(([name, parent, attrs], i) => {
      const spanId = hex(i + 1, 16);
      const parentId = parent === '' ? '' : hex(1, 16);
      const start = nowNs - BigInt((runs - r) * 1_000_000 + (4 - i) * 1000);
      const end = start + 500_000_000n;
      proto.push({ trace_id: Buffer.from(trace, 'hex'), span_id: Buffer.from(spanId, 'hex'), parent_span_id: parentId ? Buffer.from(parentId, 'hex') : Buffer.alloc(0), name, kind: 3, start_time_unix_nano: String(start), end_time_unix_nano: String(end), attributes: attrs.map(([k, v]) => kv(k, v)) });
      json.push({ traceId: trace, spanId, parentSpanId: parentId, name, kind: 3, startTimeUnixNano: String(start), endTimeUnixNano: String(end), attributes: attrs.map(([k, v]) => kvJson(k, v)) });
    });
  }
  return { proto, json };
}

const resource = (service: string) => ({ attributes: [{ key: 'service.name', value: { string_value: service } }] });
const resourceJson = (service: string) => ({ attributes: [{ key: 'service.name', value: { stringValue: service } }] });

runSectionMain(async (): Promise<OtlpResult> => {
  const opts = sectionOptions<BenchOptions>();
  const dir = tempDir('bench-otlp');
  const [apiPort, chPort] = [await freePort(), await freePort()];
  const pipeline = startNode({
    name: 'all-in-one',
    service: 'all-in-one',
    env: {
      DATA_DIR: join(dir.path, 'data'),
      PORT: String(apiPort),
      CLICKHOUSE_HTTP_PORT: String(chPort),
      CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD,
      INGEST_MAX_BODY_BYTES: String(64 * 1024 * 1024),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const ch: ChTarget = { url: `http://127.0.0.1:${chPort}`, user: SERVICE_USER, password: SERVICE_PASSWORD };
  try {
    const spansWanted = Math.max(SPANS_PER_REQUEST, Math.round(opts.events / SPANS_PER_REQUEST) * SPANS_PER_REQUEST);
    const runsPerRequest = SPANS_PER_REQUEST / 4;
    const requests = spansWanted / SPANS_PER_REQUEST;
    progress('otlp: building request bodies', true);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    const protoBodies: Buffer[] = [];
    const jsonBodies: string[] = [];
    for (let q = 0; q < requests; q++) {
      const a = agentRunSpans(2 * q, runsPerRequest, nowNs);
      protoBodies.push(Buffer.from(encodeOtlpRequest({ resource_spans: [{ resource: resource('otlp-proto'), scope_spans: [{ scope: { name: 'bench' }, spans: a.proto }] }] })));
      const b = agentRunSpans(2 * q + 1, runsPerRequest, nowNs);
      jsonBodies.push(JSON.stringify({ resourceSpans: [{ resource: resourceJson('otlp-json'), scopeSpans: [{ scope: { name: 'bench' }, spans: b.json }] }] }));
    }
    await pipeline.waitForLog(/is ready/, 180_000);

    const run = async (label: string, feature: string, bodies: (Buffer | string)[], contentType: string): Promise<OtlpEncodingResult> => {
      let sent = 0;
      let next = 0;
      const started = performance.now();
      const ticker = setInterval(() => progress(`otlp ${label}: ${sent}/${spansWanted} spans acknowledged, ${Math.round(sent / ((performance.now() - started) / 1000))} spans/s`), 500);
      const client = async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          const res = await fetch(`${api}/otlp/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
          const text = await res.text();
          if (res.status !== 200 || text.includes('rejected')) throw new Error(`otlp ${label}: ${res.status} ${JSON.stringify(text.slice(0, 300))}`);
          sent += SPANS_PER_REQUEST;
        }
      };
      try {
        await Promise.all(Array.from({ length: opts.clients }, client));
      } finally {
        clearInterval(ticker);
      }
      const count = async () => {
        const [r] = await chRows<{ s: string; m: string }>(ch, `SELECT (SELECT count() FROM traces WHERE feature = '${feature}') AS s, (SELECT sum(requests) FROM traces_1m WHERE feature = '${feature}') AS m`);
        return { spans: Number(r.s), llm: Number(r.m) };
      };
      let c = await count();
      for (let i = 0; (c.spans !== spansWanted || c.llm !== spansWanted / 2) && i < 120; i++) {
        await sleep(250);
        c = await count();
      }
      const seconds = (performance.now() - started) / 1000;
      const bytes = bodies.reduce((n, b) => n + (typeof b === 'string' ? Buffer.byteLength(b) : b.length), 0);
      return { spans: spansWanted, requests, avgRequestKiB: Math.round(bytes / requests / 1024), seconds: Math.round(seconds * 100) / 100, spansPerS: Math.round(rate(spansWanted, seconds)), exact: c.spans === spansWanted && c.llm === spansWanted / 2 };
    };
    const protobuf = await run('protobuf', 'otlp-proto', protoBodies, 'application/x-protobuf');
    const json = await run('json', 'otlp-json', jsonBodies, 'application/json');
    return { spansPerRequest: SPANS_PER_REQUEST, clients: opts.clients, protobuf, json, pipelinePeakRssMiB: pipeline.peakRssMiB() ?? procMemory(pipeline.pid)?.peakRssMiB ?? 0 };
  } finally {
    await pipeline.stop('SIGKILL');
    dir.cleanup();
  }
});

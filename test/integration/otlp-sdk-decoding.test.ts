import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { decodeJsonRequest } from '../../services/ingest/otlp/decode-json.ts';
import { decodeProtobufRequest } from '../../services/ingest/otlp/decode-protobuf.ts';
import { mapSpan, type MappedSpan } from '../../services/ingest/otlp/span-mapping.ts';
import { startOtelAgentApp } from '../helpers/otel-agent-app.ts';

/**
 * What the official OpenTelemetry JS SDK sends (BatchSpanProcessor, the OTLP/HTTP
 * protobuf and JSON exporters, plain and gzip) reads back, through our decoders and the
 * attribute mapping, as the agent run the app recorded: the tree, the kinds, the models
 * and tokens, the session and user. The bytes are captured by a plain HTTP server.
 */
interface Captured {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let url: string;
const captured: Captured[] = [];

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      captured.push({ path: req.url ?? '', headers: req.headers, body: req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw });
      const json = String(req.headers['content-type']).startsWith('application/json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : Buffer.alloc(0));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/otlp/v1/traces`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function send(protocol: 'http/protobuf' | 'http/json', gzip: boolean) {
  captured.length = 0;
  const app = startOtelAgentApp({ url, protocol, gzip });
  const run = app.runAgent({ session: 'conv-1', user: 'user-7', toolFails: true });
  await app.flush();
  await app.shutdown();
  assert.equal(captured.length, 1, 'one export request');
  const [req] = captured;
  const mapped = (
    protocol === 'http/protobuf' ? decodeProtobufRequest(req.body) : decodeJsonRequest(JSON.parse(req.body.toString('utf8')))
  ).spans.map(mapSpan);
  return { run, req, mapped };
}

function checkAgentRun(run: ReturnType<ReturnType<typeof startOtelAgentApp>['runAgent']>, mapped: MappedSpan[]) {
  assert.equal(mapped.length, 4);
  const by = Object.fromEntries(mapped.map((m) => [m.span_id, m]));
  const { agent, plan, tool, answer } = run.spanIds;
  assert.ok(mapped.every((m) => m.trace_id === run.traceId), 'one trace');
  assert.deepEqual(
    [agent, plan, tool, answer].map((id) => [by[id].span_kind, by[id].parent_span_id]),
    [
      ['agent', ''],
      ['llm', agent],
      ['tool', agent],
      ['llm', agent],
    ],
  );
  const p = by[plan].event;
  assert.deepEqual([p.model, p.provider, p.input_tokens, p.output_tokens, p.cached_input_tokens, p.finish_reason], ['gpt-4o-2024-08-06', 'openai', 1200, 80, 1024, 'tool_calls']);
  const a = by[answer].event;
  assert.deepEqual([a.model, a.input_tokens, a.cache_write_tokens], ['claude-sonnet-4-5', 2000, 500]);
  for (const m of mapped) {
    assert.deepEqual([m.event.session_id ?? 'conv-1', m.event.feature, m.event.environment], ['conv-1', 'support-agent', 'staging']);
    assert.ok((m.event.latency_ms as number) >= 0);
    assert.ok(Math.abs((m.event.timestamp as number) - Date.now()) < 60_000, 'start time in ms');
  }
  assert.deepEqual([by[agent].event.user_id, by[plan].event.user_id], ['user-7', 'user-7']);
  assert.deepEqual([by[tool].event.status, by[tool].event.error_type], ['error', 'OrderNotFound']);
  assert.equal((by[tool].event.metadata as Record<string, string>)['gen_ai.tool.name'], 'lookup_order');
}

describe('the OpenTelemetry JS SDK, read back', () => {
  it('OTLP/HTTP protobuf', async () => {
    const { run, req, mapped } = await send('http/protobuf', false);
    assert.equal(req.path, '/otlp/v1/traces');
    assert.equal(req.headers['content-type'], 'application/x-protobuf');
    checkAgentRun(run, mapped);
  });

  it('OTLP/HTTP protobuf, gzip', async () => {
    const { run, req, mapped } = await send('http/protobuf', true);
    assert.equal(req.headers['content-encoding'], 'gzip');
    checkAgentRun(run, mapped);
  });

  it('OTLP/HTTP JSON', async () => {
    const { run, req, mapped } = await send('http/json', false);
    assert.match(String(req.headers['content-type']), /^application\/json/);
    checkAgentRun(run, mapped);
  });
});

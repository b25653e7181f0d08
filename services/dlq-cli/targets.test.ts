import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { ReplayRefused, TransportDown, busTarget, httpIngestTarget, ingestBody } from './targets.ts';

const RAW = 'llm.traces.raw';

test('ingestBody: a JSON event is wrapped; a batch is sent as is', () => {
  assert.deepEqual(ingestBody(RAW, Buffer.from(' {"trace_id":"a","model":"m"}'), RAW), { traces: [{ trace_id: 'a', model: 'm' }] });
  assert.deepEqual(ingestBody(RAW, Buffer.from('{"traces":[{"trace_id":"b"}]}'), RAW), { traces: [{ trace_id: 'b' }] });
});

test('ingestBody: Avro, broken JSON and other topics are refused with the reason', () => {
  const refused = (topic: string, value: Buffer, pattern: RegExp) => assert.throws(() => ingestBody(topic, value, RAW), (e: unknown) => e instanceof ReplayRefused && pattern.test(e.message));
  refused(RAW, Buffer.from([0, 0, 0, 0, 1, 2]), /Avro bytes can only be replayed over Kafka \(set KAFKA_BROKERS\)/);
  refused(RAW, Buffer.from('{"trace_id":"a","mod'), /not valid JSON/);
  refused('llm.scores', Buffer.from('{}'), /only feeds llm\.traces\.raw; set KAFKA_BROKERS to replay to llm\.scores/);
});

let server: Server;
let baseUrl = '';
const bodies: unknown[] = [];
before(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(data) as { traces: Array<{ model?: unknown }> };
      bodies.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      // Like ingest: 202 when valid, 400 with per-event results when not.
      if (typeof body.traces[0]?.model === 'string') res.writeHead(202).end('{"accepted":1,"rejected":0}');
      else res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad_request', message: 'no valid event in the batch', results: [{ index: 0, status: 'rejected', error: 'model: expected string' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

test('HTTP ingest: POSTs the event; a rejection is a per-message failure with ingest\'s reason', async () => {
  const target = httpIngestTarget({ baseUrl: `${baseUrl}/`, rawTopic: RAW });
  assert.equal(target.describe, `${baseUrl}/v1/traces`);
  await target.publish(RAW, { key: 't1', value: Buffer.from('{"trace_id":"t1","model":"gpt-4o"}') });
  assert.deepEqual(bodies, [{ method: 'POST', url: '/v1/traces', type: 'application/json', body: { traces: [{ trace_id: 't1', model: 'gpt-4o' }] } }]);
  await assert.rejects(target.publish(RAW, { key: 't2', value: Buffer.from('{"trace_id":"t2","model":42}') }), (e: unknown) => {
    return e instanceof ReplayRefused && e.message === 'ingest answered 400: no valid event in the batch: model: expected string';
  });
});

test('HTTP ingest not running: TransportDown saying what to start', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const target = httpIngestTarget({ baseUrl: `http://127.0.0.1:${port}`, rawTopic: RAW });
  await assert.rejects(target.publish(RAW, { key: null, value: Buffer.from('{"model":"m"}') }), (e: unknown) => {
    return e instanceof TransportDown && e.message.includes(`http://127.0.0.1:${port}/v1/traces (ECONNREFUSED)`) && e.message.includes('npm start');
  });
});

test('bus target: an unavailable bus stops the run (TransportDown)', async () => {
  const bus = createMemoryBus({ requireConsumers: true });
  const target = busTarget(bus, 'memory', 'in-process bus');
  await assert.rejects(target.publish(RAW, { key: 'k', value: Buffer.from('x') }), (e: unknown) => e instanceof TransportDown && /no consumer group is consuming/.test(e.message));
  await target.close();
});

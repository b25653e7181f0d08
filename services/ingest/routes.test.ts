import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventBus } from '../core/bus/event-bus.ts';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { createHttpApp } from '../core/http-app.ts';
import { silentLogger } from '../core/logger.ts';
import { registerIngestRoutes } from './routes.ts';

/** Ingest never answers 2xx for events the bus did not take: 503 + Retry-After instead. */
function appWith(bus: EventBus, ackTimeoutMs = 200) {
  const app = createHttpApp({ log: silentLogger(), bodyLimit: 1_000_000 });
  registerIngestRoutes(app, { bus, registry: loadAvroRegistry(), log: silentLogger(), topic: 'llm.traces.raw', maxEvents: 10, publishFormat: 'avro', ackTimeoutMs });
  return app;
}
const payload = { traces: [{ trace_id: 't', timestamp: Date.now(), model: 'gpt-4o' }] };

test('a bus that refuses the publish → 503 with Retry-After', async () => {
  const bus = createMemoryBus({ waitForConsumers: true, requireConsumers: true }); // nobody consumes
  const res = await appWith(bus).inject({ method: 'POST', url: '/v1/traces', payload });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['retry-after'], '5');
  assert.equal(res.json().error, 'unavailable');
});

test('a bus that does not acknowledge in time → 503 with Retry-After', async () => {
  const hanging: EventBus = { publish: () => new Promise(() => {}), subscribe: async () => ({ close: async () => {} }), close: async () => {} };
  const res = await appWith(hanging, 100).inject({ method: 'POST', url: '/v1/traces', payload });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['retry-after'], '5');
});

test('a body that is not JSON gets 400 whatever its content type', async () => {
  const res = await appWith(createMemoryBus()).inject({ method: 'POST', url: '/v1/traces', payload: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().error, 'bad_request');
});

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { BusMessage } from '../core/bus/event-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { DlqHeaders } from '../core/dlq.ts';
import { silentLogger } from '../core/logger.ts';
import { encodeEnriched, type EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { capturingBus } from '../../test/support/writer/capturing-bus.ts';
import { createWriter } from './writer.ts';

/**
 * Regression: a row ClickHouse refuses as data (here a client cost beyond Decimal(18,12))
 * must go to the DLQ with the reason while its neighbours are stored; before, the insert
 * failed forever and blocked the partition.
 */
const registry = loadAvroRegistry();
const NOW = Date.now();
let db: TestStore;
before(async () => (db = await openTestStore()));
after(async () => db.close());

function enriched(i: number, clientCost: number | null): Buffer {
  const parsed = parseTraceEvent({ trace_id: `poison-${i}`, timestamp: NOW - 60_000, model: 'gpt-4o', input_tokens: 10 });
  assert.ok(parsed.ok);
  // Built directly, past validation, the way a producer with an older validator could.
  const value: EnrichedTrace = {
    event: { ...parsed.value, cost_usd: clientCost },
    cost_pico_usd: 25_000_000, cost_breakdown: null, pricing_status: 'priced', priced_model: 'gpt-4o', price_version: 'v',
    unpriced_reason: null, pricing_note: null, received_at: NOW, source_partition: 0, source_offset: i,
  };
  return encodeEnriched(registry, value);
}

it('a row ClickHouse cannot store goes to the DLQ; the rest of the batch is stored and committed', async () => {
  const bus = capturingBus();
  const writer = createWriter({
    bus, store: db.store, registry, log: silentLogger(), topics: { enriched: 'llm.traces.enriched', dlq: 'llm.dlq' },
    group: 'g-poison', batchSize: 100, maxDelayMs: 0, dedupWindow: 100, dedupWarmMinutes: 0,
  });
  await writer.start();
  const messages: BusMessage[] = Array.from({ length: 7 }, (_, i) => ({
    topic: 'llm.traces.enriched', partition: 0, offset: String(i), key: `poison-${i}`,
    value: enriched(i, i === 4 ? 5_000_000 : 0.01), headers: {}, timestamp: NOW,
  }));
  await bus.handler()({ topic: 'llm.traces.enriched', partition: 0, messages }); // resolves: the batch can be committed
  const [r] = await db.store.query<{ n: string }>("SELECT count() AS n FROM traces WHERE trace_id LIKE 'poison-%'");
  assert.equal(Number(r.n), 6);
  assert.equal(bus.dlq.length, 1);
  assert.equal(bus.dlq[0].key, 'poison-4');
  assert.equal(bus.dlq[0].headers?.[DlqHeaders.stage], 'writer');
  assert.match(bus.dlq[0].headers?.[DlqHeaders.reason] ?? '', /Decimal|out of|overflow|bound/i);
  await writer.stop();
});

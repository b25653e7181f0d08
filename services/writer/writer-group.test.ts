import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Batch, BusMessage } from '../core/bus/event-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { silentLogger } from '../core/logger.ts';
import { encodeEnriched, type EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { capturingBus } from '../../test/support/writer/capturing-bus.ts';
import { createWriter } from './writer.ts';

/**
 * One insert for the deliveries of several partitions, and what a crash or a rebalance
 * does to such an insert: replayed whole with its token when every part comes back to
 * the same writer (the rollups are completed, nothing counted twice), part by part
 * (checking what is stored) when only some parts do.
 */
const registry = loadAvroRegistry();
const NOW = Date.now();
const TOPICS = { enriched: 'llm.traces.enriched', dlq: 'llm.dlq' };
let db: TestStore;
before(async () => (db = await openTestStore()));
after(async () => db.close());

function message(feature: string, partition: number, offset: number): BusMessage {
  const id = `${feature}-${partition}-${offset}`;
  const parsed = parseTraceEvent({ trace_id: id, timestamp: NOW - 120_000, model: 'gpt-4o', feature, input_tokens: 100, output_tokens: 10 });
  assert.ok(parsed.ok);
  const value: EnrichedTrace = {
    event: parsed.value, cost_pico_usd: 1_000_000, cost_breakdown: null, pricing_status: 'priced', priced_model: 'gpt-4o', price_version: 'v',
    unpriced_reason: null, pricing_note: null, received_at: NOW, source_partition: partition, source_offset: offset,
  };
  return { topic: TOPICS.enriched, partition, offset: String(offset), key: id, value: encodeEnriched(registry, value), headers: {}, timestamp: NOW };
}

/** `n` messages on each of `partitions`, offsets from 0. */
const deliveries = (feature: string, partitions: number, n: number): Batch[] =>
  Array.from({ length: partitions }, (_, p) => ({ topic: TOPICS.enriched, partition: p, messages: Array.from({ length: n }, (_, o) => message(feature, p, o)) }));

const count = async (sql: string) => Number((await db.store.query<{ n: string }>(sql))[0].n);
const figures = async (feature: string) => ({
  traces: await count(`SELECT count() AS n FROM traces WHERE feature = '${feature}'`),
  distinct: await count(`SELECT uniqExact(trace_id) AS n FROM traces WHERE feature = '${feature}'`),
  m1: await count(`SELECT sum(requests) AS n FROM traces_1m WHERE feature = '${feature}'`),
  h1: await count(`SELECT sum(requests) AS n FROM traces_1h WHERE feature = '${feature}'`),
});
const writerFor = (group: string) => {
  const bus = capturingBus();
  const writer = createWriter({ bus, store: db.store, registry, log: silentLogger(), topics: TOPICS, group, batchSize: 1000, maxDelayMs: 5, dedupWindow: 10_000, dedupWarmMinutes: 60 });
  return { bus, writer };
};

it('deliveries of several partitions in flight together become one insert, logged as one batch of every range', async () => {
  const { bus, writer } = writerFor('g-group');
  await writer.start();
  await Promise.all(deliveries('group', 3, 40).map((b) => bus.handler()(b)));
  await writer.stop();
  assert.equal(writer.stats().batches, 1, 'one insert');
  assert.equal(writer.stats().rowsInserted, 120);
  assert.deepEqual(await figures('group'), { traces: 120, distinct: 120, m1: 120, h1: 120 });
  const logged = await db.store.query<{ partition: number; first: string; last: string; token: string; rows: number; parts: number }>(
    "SELECT partition, first_offset AS first, last_offset AS last, token, rows, parts FROM writer_batches FINAL WHERE consumer_group = 'g-group' ORDER BY partition",
  );
  assert.deepEqual(logged.map((l) => [l.partition, Number(l.first), Number(l.last), Number(l.rows), Number(l.parts)]), [[0, 0, 39, 120, 3], [1, 0, 39, 120, 3], [2, 0, 39, 120, 3]]);
  assert.equal(new Set(logged.map((l) => l.token)).size, 1, 'one token for the insert');
});

it('a crash between traces and the rollups: every part redelivered to the restarted writer replays the insert whole, rollups completed once', async () => {
  await db.store.command('DETACH TABLE traces_1m_mv');
  await db.store.command('DETACH TABLE traces_1h_mv');
  const first = writerFor('g-crash');
  await first.writer.start();
  await Promise.all(deliveries('crash', 2, 25).map((b) => first.bus.handler()(b)));
  await first.writer.stop(); // "crash": nothing committed
  await db.store.command('ATTACH TABLE traces_1m_mv');
  await db.store.command('ATTACH TABLE traces_1h_mv');
  assert.deepEqual(await figures('crash'), { traces: 50, distinct: 50, m1: 0, h1: 0 }, 'the crash left the rollups behind');

  const second = writerFor('g-crash');
  await second.writer.start(); // warm memory of recent ids: it holds all 50
  await Promise.all(deliveries('crash', 2, 25).map((b) => second.bus.handler()(b)));
  assert.deepEqual(await figures('crash'), { traces: 50, distinct: 50, m1: 50, h1: 50 });
  // And once more: nothing changes anywhere.
  await Promise.all(deliveries('crash', 2, 25).map((b) => second.bus.handler()(b)));
  await second.writer.stop();
  const third = writerFor('g-crash');
  await third.writer.start();
  await Promise.all(deliveries('crash', 2, 25).map((b) => third.bus.handler()(b)));
  await third.writer.stop();
  assert.deepEqual(await figures('crash'), { traces: 50, distinct: 50, m1: 50, h1: 50 });
});

it('after a rebalance only some parts come back: each is stored on its own, its stored rows skipped, nothing counted twice', async () => {
  const [p0, p1] = deliveries('moved', 2, 30);
  // The insert landed but nothing was committed; then partition 1 moved to another writer.
  const first = writerFor('g-moved');
  await first.writer.start();
  await Promise.all([first.bus.handler()(p0), first.bus.handler()(p1)]);
  await first.writer.stop();
  const mine = writerFor('g-moved');
  const theirs = writerFor('g-moved');
  await mine.writer.start();
  await theirs.writer.start();
  await mine.bus.handler()(p0); // waits for partition 1's part, which never comes here, then goes alone
  await theirs.bus.handler()({ ...p1, messages: [...p1.messages, message('moved', 1, 30)] }); // its part plus one new message
  await mine.writer.stop();
  await theirs.writer.stop();
  assert.deepEqual(await figures('moved'), { traces: 61, distinct: 61, m1: 61, h1: 61 });
});

it('the same parts when the original insert never happened (crash after logging it): every row is stored once', async () => {
  const [p0, p1] = deliveries('lost', 2, 10);
  // Log the insert as the writer does, without inserting it.
  const { createBatchLog, groupToken } = await import('./batch-log.ts');
  const ranges = [p0, p1].map((b) => ({ topic: b.topic, partition: b.partition, first: 0, last: 9 }));
  await createBatchLog(db.store, 'g-lost').record(ranges, groupToken('g-lost', ranges), 20);
  const a = writerFor('g-lost');
  const b = writerFor('g-lost');
  await a.writer.start();
  await b.writer.start();
  await Promise.all([a.bus.handler()(p0), b.bus.handler()(p1)]); // split between two writers: neither holds the whole insert
  await a.writer.stop();
  await b.writer.stop();
  assert.deepEqual(await figures('lost'), { traces: 20, distinct: 20, m1: 20, h1: 20 });
});

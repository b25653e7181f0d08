import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { BusMessage } from '../core/bus/event-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { silentLogger } from '../core/logger.ts';
import { encodeEnriched, type EnrichedTrace } from '../core/schema/enriched-trace.ts';
import { parseTraceEvent } from '../core/schema/trace-event.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { capturingBus } from '../../test/support/writer/capturing-bus.ts';
import { repairRollups } from './rollup-repair.ts';
import { createWriter } from './writer.ts';

/**
 * Regression (found by test/faults): a crash between the `traces` part of an insert and
 * its rollup views' parts. The restarted writer warms its recent-ids memory from `traces`,
 * which already holds the batch's rows; it used to drop the whole replayed batch as
 * repeats, so the rollups never got those rows. A logged batch replayed whole must be
 * re-inserted as it was, with its token: ClickHouse skips what it has and fills the views.
 * The crash is reproduced on the real engine by detaching the views for the first insert.
 */
const registry = loadAvroRegistry();
const NOW = Date.now();
const TOPICS = { enriched: 'llm.traces.enriched', dlq: 'llm.dlq' };
let db: TestStore;
before(async () => (db = await openTestStore()));
after(async () => db.close());

function message(i: number, opts: { ageMs?: number; feature?: string } = {}): BusMessage {
  const parsed = parseTraceEvent({ trace_id: `replay-${i}`, timestamp: NOW - (opts.ageMs ?? 120_000), model: 'gpt-4o', feature: opts.feature ?? 'replay', input_tokens: 100, output_tokens: 10 });
  assert.ok(parsed.ok);
  const value: EnrichedTrace = {
    event: parsed.value, cost_pico_usd: 1_000_000 + i, cost_breakdown: null, pricing_status: 'priced', priced_model: 'gpt-4o', price_version: 'v',
    unpriced_reason: null, pricing_note: null, received_at: NOW, source_partition: 0, source_offset: i,
  };
  return { topic: TOPICS.enriched, partition: 0, offset: String(i), key: `replay-${i}`, value: encodeEnriched(registry, value), headers: {}, timestamp: NOW };
}

const count = async (sql: string) => Number((await db.store.query<{ n: string }>(sql))[0].n);

/** Every rollup the views keep from `traces` (002 and 008). */
const ROLLUPS = ['traces_1m', 'traces_1h', 'traces_fm_1h', 'traces_fm_1d'];
const detachViews = async () => {
  for (const t of ROLLUPS) await db.store.command(`DETACH TABLE ${t}_mv`);
};
const attachViews = async () => {
  for (const t of ROLLUPS) await db.store.command(`ATTACH TABLE ${t}_mv`);
};

it('a logged batch replayed after a crash between traces and the rollups completes the rollups, without a double count', async () => {
  const messages = Array.from({ length: 10 }, (_, i) => message(i));
  const make = () => {
    const bus = capturingBus();
    const writer = createWriter({ bus, store: db.store, registry, log: silentLogger(), topics: TOPICS, group: 'g-replay', batchSize: 100, maxDelayMs: 0, dedupWindow: 1000, dedupWarmMinutes: 60 });
    return { bus, writer };
  };
  // First life: the insert reaches `traces` but not the views (they are detached), then "crash".
  await detachViews();
  const first = make();
  await first.writer.start();
  await first.bus.handler()({ topic: TOPICS.enriched, partition: 0, messages });
  await first.writer.stop();
  await attachViews();
  assert.equal(await count("SELECT count() AS n FROM traces WHERE feature = 'replay'"), 10);
  assert.equal(await count("SELECT sum(requests) AS n FROM traces_1m WHERE feature = 'replay'"), 0, 'the crash left the rollups behind');

  // Second life: warm memory of recent ids (it holds all 10), the same offsets redelivered.
  const second = make();
  await second.writer.start();
  await second.bus.handler()({ topic: TOPICS.enriched, partition: 0, messages });
  assert.equal(await count("SELECT count() AS n FROM traces WHERE feature = 'replay'"), 10, 'traces dropped the repeat');
  assert.equal(await count("SELECT sum(requests) AS n FROM traces_1m WHERE feature = 'replay'"), 10, 'the minute rollup was filled in');
  assert.equal(await count("SELECT sum(requests) AS n FROM traces_1h WHERE feature = 'replay'"), 10, 'the hour rollup was filled in');
  for (const t of ROLLUPS) assert.equal(await count(`SELECT sum(requests) AS n FROM ${t} WHERE feature = 'replay'`), 10, t);

  // Third life: the same batch again changes nothing anywhere.
  await second.bus.handler()({ topic: TOPICS.enriched, partition: 0, messages });
  await second.writer.stop();
  const third = make();
  await third.writer.start();
  await third.bus.handler()({ topic: TOPICS.enriched, partition: 0, messages });
  await third.writer.stop();
  assert.equal(await count("SELECT count() AS n FROM traces WHERE feature = 'replay'"), 10);
  assert.equal(await count("SELECT sum(requests) AS n FROM traces_1m WHERE feature = 'replay'"), 10);
  for (const t of ROLLUPS) assert.equal(await count(`SELECT sum(requests) AS n FROM ${t} WHERE feature = 'replay'`), 10, t);
});

it('embedded restart: rollup buckets behind traces get exactly the missing counts and costs, once', async () => {
  const messages = Array.from({ length: 12 }, (_, i) => message(100 + i)).map((m) => ({ ...m, offset: String(Number(m.offset) + 1000) }));
  await detachViews();
  const bus = capturingBus();
  const writer = createWriter({ bus, store: db.store, registry, log: silentLogger(), topics: TOPICS, group: 'g-repair', batchSize: 5, maxDelayMs: 0, dedupWindow: 0, dedupWarmMinutes: 0 });
  await writer.start();
  await bus.handler()({ topic: TOPICS.enriched, partition: 0, messages: messages.slice(0, 5) }); // lost by the views
  await attachViews();
  await bus.handler()({ topic: TOPICS.enriched, partition: 0, messages: messages.slice(5) }); // stored everywhere
  await writer.stop();
  const where = "feature = 'replay' AND trace_id >= 'replay-100' AND trace_id <= 'replay-111'";
  assert.equal(await count(`SELECT count() AS n FROM traces WHERE ${where}`), 12);

  const repaired = await repairRollups(db.store, { sinceMs: NOW - 3_600_000, log: silentLogger() });
  assert.deepEqual(repaired.map((r) => r.table), ROLLUPS);
  assert.deepEqual(repaired.map((r) => r.buckets > 0), [true, true, true, true]);
  const exact = async (table: string) => {
    const [t] = await db.store.query<{ n: string; c: string; tok: string }>(`SELECT count() AS n, toString(sum(toDecimal128(cost_usd, 12))) AS c, toString(sum(input_tokens + output_tokens)) AS tok FROM traces FINAL WHERE feature = 'replay'`);
    const [r] = await db.store.query<{ n: string; c: string; tok: string }>(`SELECT sum(requests) AS n, toString(sum(cost_usd_sum)) AS c, toString(sum(input_tokens_sum + output_tokens_sum)) AS tok FROM ${table} WHERE feature = 'replay'`);
    assert.deepEqual(r, t, table);
  };
  for (const t of ROLLUPS) await exact(t);
  assert.deepEqual((await repairRollups(db.store, { sinceMs: NOW - 3_600_000, log: silentLogger() })).map((r) => r.buckets), [0, 0, 0, 0], 'a second run finds nothing');
  for (const t of ROLLUPS) await exact(t);
});

// Found by test/faults/all-in-one-kill in CI: the resent events were older (by event time)
// than the repair window, which then looked only at recent buckets by `ts`, while the
// writer's recent-ids memory (which dropped the resend) goes by arrival.
it('embedded restart: late events (old event time, stored recently) are repaired too', async () => {
  const TWO_DAYS = 2 * 86_400_000;
  const messages = Array.from({ length: 6 }, (_, i) => message(200 + i, { ageMs: TWO_DAYS + i * 3_600_000, feature: 'late' }))
    .map((m) => ({ ...m, offset: String(Number(m.offset) + 2000) }));
  await detachViews();
  const bus = capturingBus();
  const writer = createWriter({ bus, store: db.store, registry, log: silentLogger(), topics: TOPICS, group: 'g-late', batchSize: 10, maxDelayMs: 0, dedupWindow: 0, dedupWarmMinutes: 0 });
  await writer.start();
  await bus.handler()({ topic: TOPICS.enriched, partition: 0, messages });
  await writer.stop();
  await attachViews();
  assert.equal(await count("SELECT sum(requests) AS n FROM traces_1m WHERE feature = 'late'"), 0, 'the views missed them');

  const repaired = await repairRollups(db.store, { sinceMs: NOW - 61 * 60_000, log: silentLogger() });
  const days = await count("SELECT uniqExact(toStartOfDay(ts)) AS n FROM traces WHERE feature = 'late'");
  assert.deepEqual(repaired.map((r) => r.buckets), [6, 6, 6, days], 'one minute and one hour bucket per event, one per day');
  for (const t of ROLLUPS) assert.equal(await count(`SELECT sum(requests) AS n FROM ${t} WHERE feature = 'late'`), 6, t);
  assert.deepEqual((await repairRollups(db.store, { sinceMs: NOW - 61 * 60_000, log: silentLogger() })).map((r) => r.buckets), [0, 0, 0, 0], 'a second run finds nothing');
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { BatchHandler, BusMessage, EventBus, OutgoingMessage, SubscribeOptions } from '../core/bus/event-bus.ts';
import { loadAvroRegistry } from '../core/codec/avro-registry.ts';
import { DlqHeaders } from '../core/dlq.ts';
import { silentLogger } from '../core/logger.ts';
import { encodeScore, type Score } from '../core/schema/score.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { createWriter, type Writer } from './writer.ts';
import { capturingBus } from '../../test/support/writer/capturing-bus.ts';

/**
 * The writer's scores path against the real embedded engine, with a bus stand-in that
 * hands the test the writer's batch handler: deliveries, failures between insert and
 * commit, redeliveries and restarts are then played exactly, with no timing involved.
 */
const registry = loadAvroRegistry();
const TOPICS = { enriched: 'llm.traces.enriched', dlq: 'llm.dlq', scores: 'llm.scores' };
const NOW = Date.now();

function score(i: number, over: Partial<Score> = {}): Score {
  return {
    score_id: `s-${i}`, trace_id: `t-${i}`, name: 'helpfulness', value: (i % 5) / 4, passed: i % 5 >= 2,
    source: 'eval', status: 'ok', evaluator: 'llm_judge', rule: 'judge-all', reason: `reason ${i}`, comment: null,
    ts: NOW - 60_000 + i, trace_ts: NOW - 120_000, feature: 'chat', model: 'gpt-4o', prompt_version: 'v1', environment: 'prod',
    metadata: { i: String(i) },
    ...over,
  };
}

function message(offset: number, value: Buffer, partition = 0): BusMessage {
  return { topic: TOPICS.scores, partition, offset: String(offset), key: `t-${offset}`, value, headers: {}, timestamp: NOW };
}

const batchOf = (from: number, to: number, partition = 0) => ({
  topic: TOPICS.scores,
  partition,
  messages: Array.from({ length: to - from + 1 }, (_, k) => message(from + k, encodeScore(registry, score(from + k)), partition)),
});

let db: TestStore;
before(async () => {
  db = await openTestStore();
  // Row counts below are physical rows: no background merge may hide a duplicate insert.
  await db.store.command('SYSTEM STOP MERGES scores');
});
after(async () => {
  await db.close();
});

async function rowCount(where = '1'): Promise<number> {
  const [r] = await db.store.query<{ n: string | number }>(`SELECT count() AS n FROM scores WHERE ${where}`);
  return Number(r.n);
}

function newWriter(bus: EventBus, opts: { group: string; afterInsert?: () => void; scores?: boolean }): Writer {
  return createWriter({
    bus, store: db.store, registry, log: silentLogger(),
    topics: opts.scores === false ? { enriched: TOPICS.enriched, dlq: TOPICS.dlq } : TOPICS,
    group: opts.group, batchSize: 1000, maxDelayMs: 0, dedupWindow: 1000, dedupWarmMinutes: 0, afterInsert: opts.afterInsert,
  });
}

describe('writer: llm.scores → scores', () => {
  beforeEach(async () => {
    await db.store.command('TRUNCATE TABLE scores');
  });

  it('subscribes to llm.scores only when the topic is configured', async () => {
    const with_ = capturingBus();
    await newWriter(with_, { group: 'g-sub' }).start();
    assert.deepEqual(with_.subscribed[0].topics, [TOPICS.enriched, TOPICS.dlq, TOPICS.scores]);
    const without = capturingBus();
    await newWriter(without, { group: 'g-sub2', scores: false }).start();
    assert.deepEqual(without.subscribed[0].topics, [TOPICS.enriched, TOPICS.dlq]);
  });

  it('maps every field of a Score to its column', async () => {
    const bus = capturingBus();
    const writer = newWriter(bus, { group: 'g-map' });
    await writer.start();
    const feedback = score(7, { source: 'user', evaluator: 'feedback', rule: '', reason: null, comment: 'nice', trace_ts: null, feature: null, model: null, prompt_version: null, environment: null, passed: null });
    await bus.handler()({ topic: TOPICS.scores, partition: 0, messages: [message(0, encodeScore(registry, feedback))] });
    const [row] = await db.store.query('SELECT * FROM scores');
    assert.deepEqual(row, {
      score_id: 's-7', trace_id: 't-7', name: 'helpfulness', value: 0.5, passed: null, source: 'user', status: 'ok',
      evaluator: 'feedback', rule: '', reason: '', comment: 'nice', ts: new Date(NOW - 60_000 + 7).toISOString().replace('T', ' ').slice(0, 23),
      trace_ts: null, feature: '', model: '', prompt_version: '', environment: '', metadata: { i: '7' },
    });
    assert.equal(writer.stats().scoresInserted, 1);
    assert.equal(writer.stats().rowsInserted, 0);
  });

  it('stores each score exactly once across a failure after insert, a larger redelivery and a restart', async () => {
    const bus = capturingBus();
    let failNext = true;
    const writer = newWriter(bus, {
      group: 'g-replay',
      afterInsert: () => {
        if (failNext) {
          failNext = false;
          throw new Error('killed between insert and commit');
        }
      },
    });
    await writer.start();
    // 1. offsets 0..4 are inserted, then the commit never happens
    await assert.rejects(bus.handler()(batchOf(0, 4)), /killed/);
    assert.equal(await rowCount(), 5);
    // 2. the bus redelivers from offset 0, now with more messages behind
    await bus.handler()(batchOf(0, 9));
    assert.equal(await rowCount(), 10, 'the replayed head reuses its logged token');
    // 3. a restarted writer gets 0..9 again (its offsets were never committed)
    const bus2 = capturingBus();
    await newWriter(bus2, { group: 'g-replay' }).start();
    await bus2.handler()(batchOf(0, 9));
    assert.equal(await rowCount(), 10);
    // 4. …or only the head of a logged batch: checked against the table instead
    const bus3 = capturingBus();
    await newWriter(bus3, { group: 'g-replay' }).start();
    await bus3.handler()(batchOf(0, 2));
    await bus3.handler()(batchOf(3, 12));
    assert.equal(await rowCount(), 13);
    assert.equal(await rowCount("score_id = 's-3'"), 1);
  });

  it('a repeated message collapses in the table; a later vote with the same score_id supersedes the earlier', async () => {
    const bus = capturingBus();
    await newWriter(bus, { group: 'g-repeat' }).start();
    const first = score(1, { source: 'user', value: 1, passed: true });
    const again = score(1, { source: 'user', value: 1, passed: true });
    const changed = score(1, { source: 'user', value: 0, passed: false, ts: first.ts + 1000 });
    await bus.handler()({ topic: TOPICS.scores, partition: 1, messages: [message(0, encodeScore(registry, first), 1), message(1, encodeScore(registry, again), 1)] });
    assert.equal(await rowCount(), 1, 'a repeat inside one delivery is dropped');
    await bus.handler()({ topic: TOPICS.scores, partition: 1, messages: [message(2, encodeScore(registry, changed), 1)] });
    const rows = await db.store.query<{ value: number }>('SELECT value FROM scores FINAL');
    assert.deepEqual(rows, [{ value: 0 }]);
  });

  it('sends what it cannot decode or store faithfully to the DLQ and keeps its neighbours', async () => {
    const bus = capturingBus();
    const writer = newWriter(bus, { group: 'g-dlq' });
    await writer.start();
    await bus.handler()({
      topic: TOPICS.scores,
      partition: 2,
      messages: [
        message(0, encodeScore(registry, score(0)), 2),
        message(1, Buffer.from('{"score_id":"json-is-not-the-contract"}'), 2),
        message(2, encodeScore(registry, score(2, { value: 1.5 })), 2),
        message(3, encodeScore(registry, score(3)), 2),
      ],
    });
    assert.equal(await rowCount(), 2);
    assert.deepEqual(bus.dlq.map((m) => m.headers?.[DlqHeaders.sourceOffset]), ['1', '2']);
    assert.match(bus.dlq[1].headers?.[DlqHeaders.reason] ?? '', /value 1.5 is not within 0..1/);
    assert.equal(bus.dlq[0].headers?.[DlqHeaders.sourceTopic], TOPICS.scores);
  });
});

/**
 * list filters and replay bookkeeping against the real embedded engine (fresh chDB data
 * directory with the project's migrations, 007_dlq_replays included) and a real
 * in-process bus: what a subscriber of the target topic receives is asserted byte for
 * byte, once. chDB binds one data directory per process: one store for this file.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BusMessage, EventBus } from '../core/bus/event-bus.ts';
import { createMemoryBus } from '../core/bus/memory-bus.ts';
import type { Store } from '../core/store/store.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';
import { parseDlqArgs, type DlqFilter } from './args.ts';
import { ErrorCodes, UNKNOWN_SCHEMA_AVRO, insertDeadLetters } from '../../test/support/dlq-cli/dead-letters.ts';
import { selectDlqEntries, tableExists } from './dlq-store.ts';
import { REPLAY_OF_HEADER, replayDlq, type ReplayRequest } from './replay.ts';
import { loadConfig } from '../core/config.ts';
import { silentLogger } from '../core/logger.ts';
import { runDlqCli } from './run.ts';
import { busTarget } from './targets.ts';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const min = 60_000;
const RAW = 'llm.traces.raw';
const ENRICHED = 'llm.traces.enriched';

const truncated = Buffer.from('{"trace_id":"t1","model":"gpt-4o","input_tok');
const wrongTypes = Buffer.from('{"trace_id":"t3","model":42,"input_tokens":"many"}');
const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x61);

let ts: TestStore;
let store: Store;

before(async () => {
  ts = await openTestStore();
  store = ts.store;
  await insertDeadLetters(store, [
    { topic: RAW, partition: 0, offset: 10, key: 't1', value: truncated, code: ErrorCodes.DECODE_FAILED, reason: 'invalid JSON: Unterminated string in JSON at position 45', failedAt: NOW - 180 * min },
    {
      topic: RAW,
      partition: 1,
      offset: 11,
      key: 't2',
      value: UNKNOWN_SCHEMA_AVRO,
      code: ErrorCodes.UNKNOWN_SCHEMA_ID,
      reason: 'unknown schema id 999 for subject "trace-event"',
      failedAt: NOW - 120 * min,
      headers: { traceparent: '00-abc-def-01' },
    },
    { topic: RAW, partition: 0, offset: 12, key: null, value: wrongTypes, code: ErrorCodes.VALIDATION_FAILED, reason: 'invalid trace event: model: expected string', failedAt: NOW - 30 * min },
    { topic: ENRICHED, partition: 2, offset: 5, key: 't4', value: tenMb, code: ErrorCodes.DECODE_FAILED, reason: 'message too large', stage: 'writer', failedAt: NOW - 10 * min },
  ]);
});
after(async () => {
  await ts?.close();
});

const ids = (entries: Array<{ id: { topic: string; partition: number; offset: string } }>) => entries.map((e) => `${e.id.topic}:${e.id.partition}:${e.id.offset}`);
const listFilter = (argv: string[]): DlqFilter => {
  const cmd = parseDlqArgs(['list', ...argv], NOW);
  assert.equal(cmd.command, 'list');
  return (cmd as { filter: DlqFilter }).filter;
};
const list = (argv: string[], limit = 50) => selectDlqEntries(store, listFilter(argv), { limit, order: 'newest-first', withReplays: true });

describe('list', () => {
  test('all dead letters, newest first, with sizes of the original values (10 MiB included)', async () => {
    const all = await list([]);
    assert.deepEqual(ids(all), [`${ENRICHED}:2:5`, `${RAW}:0:12`, `${RAW}:1:11`, `${RAW}:0:10`]);
    assert.deepEqual(
      all.map((e) => [e.sizeBytes, e.key, e.errorCode, e.stage, e.replays]),
      [
        [10 * 1024 * 1024, 't4', 'PIPE_DECODE_FAILED', 'writer', 0],
        [wrongTypes.length, '', 'PIPE_VALIDATION_FAILED', 'enricher', 0],
        [UNKNOWN_SCHEMA_AVRO.length, 't2', 'PIPE_UNKNOWN_SCHEMA_ID', 'enricher', 0],
        [truncated.length, 't1', 'PIPE_DECODE_FAILED', 'enricher', 0],
      ],
    );
    assert.equal(all[3]!.ts, '2026-05-01 09:00:00.000');
  });

  test('--reason matches reason or error code, any case; --topic; --since; --id; --limit', async () => {
    assert.deepEqual(ids(await list(['--reason', 'SCHEMA ID'])), [`${RAW}:1:11`]);
    assert.deepEqual(ids(await list(['--reason', 'validation'])), [`${RAW}:0:12`]);
    assert.deepEqual(ids(await list(['--topic', ENRICHED])), [`${ENRICHED}:2:5`]);
    assert.deepEqual(ids(await list(['--since', '1h'])), [`${ENRICHED}:2:5`, `${RAW}:0:12`]);
    assert.deepEqual(ids(await list(['--since', '2026-05-01T09:30:00Z', '--topic', RAW])), [`${RAW}:0:12`, `${RAW}:1:11`]);
    assert.deepEqual(ids(await list(['--since', '3h', '--reason', 'json'])), [`${RAW}:0:10`]);
    assert.deepEqual(ids(await list(['--reason', "it's; DROP TABLE dlq --"])), []);
    assert.deepEqual(ids(await list([])).length, 4, 'a hostile --reason is only a bound parameter');
    assert.deepEqual(ids(await list(['--id', `${RAW}:0:10,${ENRICHED}:2:5`, `${RAW}:9:9`])), [`${ENRICHED}:2:5`, `${RAW}:0:10`]);
    assert.deepEqual(ids(await list([], 2)), [`${ENRICHED}:2:5`, `${RAW}:0:12`]);
  });
});

describe('replay on a real in-process bus', () => {
  let bus: EventBus;
  const received = new Map<string, BusMessage[]>();
  const got = (topic: string) => received.get(topic) ?? [];

  before(async () => {
    // waitForConsumers: a resolved publish means the subscriber has the message.
    bus = createMemoryBus({ waitForConsumers: true });
    for (const topic of [RAW, 'llm.traces.fixed']) {
      await bus.subscribe({
        topics: [topic],
        group: 'dlq-test',
        onBatch: async (b) => {
          received.set(topic, [...got(topic), ...b.messages]);
        },
      });
    }
  });
  after(async () => {
    await bus?.close();
  });

  const run = (req: Partial<ReplayRequest> & { filter: DlqFilter }) =>
    replayDlq(
      { store, target: busTarget(bus, 'memory', 'in-process bus'), withReplays: true, now: () => NOW },
      { limit: 1000, dryRun: false, force: false, ...req },
    );

  test('dry run publishes and records nothing', async () => {
    const s = await replayDlq({ store, target: null, withReplays: true }, { filter: { topic: RAW }, limit: 1000, dryRun: true, force: false });
    assert.deepEqual(
      s.outcomes.map((o) => [o.status, o.id]),
      [
        ['would-replay', `${RAW}:0:10`],
        ['would-replay', `${RAW}:1:11`],
        ['would-replay', `${RAW}:0:12`],
      ],
    );
    assert.equal(got(RAW).length, 0);
    assert.deepEqual(await store.query('SELECT * FROM dlq_replays'), []);
  });

  test('original bytes, keys and headers arrive once, oldest first; the second run skips them', async () => {
    const first = await run({ filter: { topic: RAW } });
    assert.deepEqual([first.replayed, first.skipped, first.failed, first.warnings], [3, 0, 0, 0]);
    const msgs = got(RAW);
    assert.equal(msgs.length, 3);
    assert.deepEqual(
      msgs.map((m) => [m.key, m.value.toString('hex')]),
      [
        ['t1', truncated.toString('hex')],
        ['t2', UNKNOWN_SCHEMA_AVRO.toString('hex')],
        [null, wrongTypes.toString('hex')],
      ],
    );
    assert.deepEqual(msgs[1]!.headers, { traceparent: '00-abc-def-01', [REPLAY_OF_HEADER]: `${RAW}:1:11` });
    assert.deepEqual(msgs[0]!.headers, { [REPLAY_OF_HEADER]: `${RAW}:0:10` });

    const second = await run({ filter: { topic: RAW } });
    assert.deepEqual([second.replayed, second.skipped, second.failed], [0, 3, 0]);
    assert.match(second.outcomes[0]!.detail, /already replayed 1× \(last 2026-05-01 12:00:00\.000 UTC\); --force/);
    assert.equal(got(RAW).length, 3, 'nothing published again');

    const records = await store.query<Record<string, unknown>>('SELECT source_topic, source_partition, source_offset, target_topic, transport, forced FROM dlq_replays ORDER BY source_offset');
    assert.deepEqual(records, [
      { source_topic: RAW, source_partition: 0, source_offset: '10', target_topic: RAW, transport: 'memory', forced: 0 },
      { source_topic: RAW, source_partition: 1, source_offset: '11', target_topic: RAW, transport: 'memory', forced: 0 },
      { source_topic: RAW, source_partition: 0, source_offset: '12', target_topic: RAW, transport: 'memory', forced: 0 },
    ]);
  });

  test('--force replays again (and is recorded); list shows the count', async () => {
    const s = await run({ filter: { ids: [{ topic: RAW, partition: 1, offset: '11' }] }, force: true });
    assert.deepEqual([s.replayed, s.skipped, s.failed], [1, 0, 0]);
    assert.equal(got(RAW).length, 4);
    assert.deepEqual(got(RAW)[3]!.value, UNKNOWN_SCHEMA_AVRO);
    const listed = await list(['--id', `${RAW}:1:11`]);
    assert.equal(listed[0]!.replays, 2);
    assert.equal(listed[0]!.lastReplayedAt, '2026-05-01 12:00:00.000');
  });

  test('--to-topic sends there; unknown ids fail; --limit leaves the rest for the next run', async () => {
    const s = await run({ filter: { ids: [{ topic: RAW, partition: 0, offset: '10' }, { topic: RAW, partition: 7, offset: '7' }] }, force: true, toTopic: 'llm.traces.fixed' });
    assert.deepEqual(
      s.outcomes.map((o) => [o.status, o.id, o.detail]),
      [
        ['failed', `${RAW}:7:7`, 'no DLQ row with this id matches (see `npm run dlq -- list`)'],
        ['replayed', `${RAW}:0:10`, 'llm.traces.fixed'],
      ],
    );
    assert.deepEqual(got('llm.traces.fixed').map((m) => [m.key, m.value.toString()]), [['t1', truncated.toString()]]);

    const limited = await run({ filter: { topic: RAW }, limit: 1, force: true, toTopic: 'llm.traces.fixed' });
    assert.deepEqual([limited.replayed, limited.notAttempted, limited.outcomes[0]!.id], [1, 2, `${RAW}:0:10`]);

    const big = await run({ filter: { topic: ENRICHED }, toTopic: 'llm.traces.fixed' });
    assert.deepEqual([big.replayed, big.failed], [1, 0]);
    assert.equal(got('llm.traces.fixed').at(-1)!.value.length, 10 * 1024 * 1024, 'the 10 MiB value arrives whole');
    assert.ok(got('llm.traces.fixed').at(-1)!.value.equals(tenMb));
  });

  test('a different message later stored at a replayed position is not taken as replayed', async () => {
    // The in-process bus restarts offsets at 0: after a restart raw:0:12 can be another message.
    const other = Buffer.from('{"trace_id":"t9","model":null}');
    await insertDeadLetters(store, [{ topic: RAW, partition: 0, offset: 12, key: 't9', value: other, code: ErrorCodes.VALIDATION_FAILED, reason: 'invalid trace event: model', failedAt: NOW - 5 * min }]);
    const s = await run({ filter: { topic: RAW } });
    assert.deepEqual(
      s.outcomes.map((o) => [o.status, o.id]),
      [
        ['skipped', `${RAW}:0:10`],
        ['skipped', `${RAW}:1:11`],
        ['replayed', `${RAW}:0:12`],
      ],
    );
    assert.deepEqual([got(RAW).at(-1)!.key, got(RAW).at(-1)!.value.toString()], ['t9', other.toString()]);
  });

  test('runDlqCli: a pipeline started before 007 existed has no dlq_replays: replay applies the migration first', async () => {
    await store.command('DROP TABLE dlq_replays');
    await store.command('DELETE FROM schema_migrations WHERE version = 7');
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDlqCli(['replay', '--id', `${ENRICHED}:2:5`, '--to-topic', 'llm.traces.fixed'], {
      config: loadConfig({ DLQ_TTL_DAYS: '3650' }),
      log: silentLogger(),
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      openStore: () => ({ store: { ...store, close: async () => {} }, url: 'embedded test store' }),
      openTarget: () => busTarget(bus, 'memory', 'in-process bus'),
    });
    assert.equal(code, 0, err.join(''));
    assert.deepEqual(err, ['dlq: table dlq_replays is missing: applying the schema migrations (schemas/clickhouse)\n', 'dlq: replaying via in-process bus\n']);
    assert.deepEqual(out, [`replayed      ${ENRICHED}:2:5 → llm.traces.fixed\n`, 'replayed 1 (via in-process bus), skipped 0 already replayed, failed 0\n']);
  });

  test('the migration created dlq_replays', async () => {
    assert.equal(await tableExists(store, 'dlq_replays'), true);
    assert.equal(await tableExists(store, 'no_such_table'), false);
  });
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../scripts/lib/prng.ts';
import { eventually, type ServiceProcess } from '../helpers/service-process.ts';
import { secs, startDistributed, TOPICS, type Distributed } from './support/distributed.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from './support/traffic.ts';
import { assertExact, printFigures, readTotals, settledTotals } from './support/totals.ts';

/**
 * kill -9 of the writer at ten different points of one stream (distributed). Each run is
 * a fresh writer process that dies by SIGKILL: most by FAULT_WRITER_KILL_AFTER_INSERTS=N
 * (seeded N, so right after an insert and before its offsets are committed), some by a
 * SIGKILL from the test at a seeded delay after its first insert. The dedup memory varies
 * across runs: off (WRITER_DEDUP_WINDOW=0), on but empty (WRITER_DEDUP_WARM_MINUTES=0) and
 * on and warmed from ClickHouse, so the runs with it off show the batch log alone keeps
 * replays out. Afterwards every acknowledged event is counted exactly once in traces and
 * in both rollups, with the cost sums of the price table.
 */
const SEED = 20240607;
const KILLS = 10;
const rnd = prng(SEED);
const events = makeEvents('wk', 20_000, SEED);
let d: Distributed;
let writer: ServiceProcess | null = null;
const client = new RetryingClient(() => d.ingestUrl);
let stream: ReturnType<RetryingClient['stream']>;

before(async () => {
  // Short Kafka session (see KAFKA_SESSION_TIMEOUT_MS=6000): a killed member is given up
  // in seconds, not 30 s. Small writer batches: many inserts, so many distinct kill points.
  d = await startDistributed({ name: 'writer-kill', sessionTimeoutMs: 6_000, env: { ENRICHER_BATCH_SIZE: '50' } });
  const enricher = d.start('enricher');
  const ingest = d.start('ingest');
  await Promise.all([enricher, ingest].map((s) => s.waitForLog(/service ready/, 120_000)));
});

after(async () => {
  stream?.stop();
  await d?.shutdown();
});

interface KillRun {
  run: number;
  how: string;
  dedup: string;
  batch_size: number;
  joined_s: string;
  resumed_logged_batch: boolean;
  rows_at_kill: number;
  committed_at_kill: number;
}

test(`${KILLS} writer processes die by SIGKILL at different points of one stream; the next one resumes`, async () => {
  stream = client.stream(events, { batchSize: 10, pauseMs: 700 });
  const runs: KillRun[] = [];
  let lastRows = -1;
  for (let run = 0; run < KILLS; run++) {
    const dedupEnv: Record<string, string> =
      run % 3 === 0 ? { WRITER_DEDUP_WINDOW: '0' } : run % 3 === 1 ? { WRITER_DEDUP_WARM_MINUTES: '0' } : {};
    const dedup = run % 3 === 0 ? 'off' : run % 3 === 1 ? 'on, not warmed' : 'on, warmed';
    const bySignal = run % 4 === 1;
    // N >= 2: the first insert of a run may be the replay of the batch its predecessor died
    // on (deduplicated), so the second is past it and every kill lands further on.
    const n = 2 + Math.floor(rnd() * 6);
    const delayMs = 100 + Math.floor(rnd() * 1500);
    // Batch sizes differ between runs, so a restart re-cuts its predecessor's logged batches
    // (whole, split across deliveries, or only their head in one).
    const batchSize = [7, 20, 45][Math.floor(rnd() * 3)];
    const t0 = Date.now();
    writer = d.start('writer', { WRITER_BATCH_SIZE: String(batchSize), ...dedupEnv, ...(bySignal ? {} : { FAULT_WRITER_KILL_AFTER_INSERTS: String(n) }) });
    await writer.waitForLog(/writer consuming/, 120_000);
    const joinedMs = Date.now() - t0;
    if (bySignal) {
      // After this writer's first insert (more rows than before), a seeded delay, then kill -9.
      const base = (await readTotals(d.sql)).rows;
      await eventually(() => readTotals(d.sql), (t) => t.rows > base, 120_000, `run ${run}: a first insert`);
      await new Promise((r) => setTimeout(r, delayMs));
      writer.child.kill('SIGKILL');
    }
    const exit = await Promise.race([writer.exited, new Promise<null>((r) => setTimeout(() => r(null), 120_000))]);
    assert.ok(exit, `run ${run}: the writer did not die within 120 s; last lines:\n${writer.logs.slice(-10).join('\n')}`);
    assert.equal(exit.signal, 'SIGKILL', `run ${run}: ${JSON.stringify(exit)}\n${writer.logs.slice(-10).join('\n')}`);
    const rows = (await readTotals(d.sql)).rows;
    const committed = (await d.committed('llm-writer', TOPICS.enriched)).reduce((s, o) => s + Math.max(o, 0), 0);
    runs.push({
      run,
      how: bySignal ? `SIGKILL from the test ${delayMs} ms after its first insert` : `FAULT_WRITER_KILL_AFTER_INSERTS=${n}`,
      dedup,
      batch_size: batchSize,
      joined_s: secs(joinedMs),
      resumed_logged_batch: writer.logs.some((l) => /resuming over logged batches/.test(l)),
      rows_at_kill: rows,
      committed_at_kill: committed,
    });
    console.log(`writer-kill ${JSON.stringify(runs[runs.length - 1])}`);
    // Every kill lands further in the stream than the one before.
    assert.ok(rows > lastRows, `run ${run}: rows in traces did not move past the previous kill (${rows} <= ${lastRows})`);
    lastRows = rows;
  }
  const resumed = runs.filter((r) => r.resumed_logged_batch).length;
  console.log(`writer-kill: ${resumed} of ${KILLS - 1} restarts resumed over a batch logged (and maybe inserted) but not committed by the killed writer`);
  // Kills right after an insert (before the commit) must have left logged, uncommitted batches.
  assert.ok(resumed >= 1, 'no restart found a logged but uncommitted batch: the kills did not land between insert and commit');
});

test('after the last restart every acknowledged event is counted exactly once', async () => {
  const t0 = Date.now();
  // The last writer runs with the defaults (batch size included) and no fault.
  writer = d.start('writer', { WRITER_BATCH_SIZE: '10000' });
  await writer.waitForLog(/writer consuming/, 120_000);
  await new Promise((r) => setTimeout(r, 2_000));
  stream.stop();
  await stream.done;
  const acked = events.filter((e) => client.acknowledged.has(e.trace_id));
  assert.equal(client.attempted.size, acked.length, 'the client got a 202 for everything it sent');
  const stoppedAt = Date.now();
  const { totals, reachedMs } = await settledTotals(d.sql, acked.length, { what: 'writer-kill' });
  // recover_ms: from the start of the last (fault-free) writer until every acknowledged event was counted.
  printFigures('writer-kill-9-x10', client.attempted.size, acked.length, totals, stoppedAt - t0 + reachedMs);
  console.log(`writer-kill: client ${JSON.stringify(client.stats)}; all counted ${secs(reachedMs)} s after the stream stopped`);
  assertExact(totals, { n: acked.length, pico: expectedPicoOf(acked) });
  const exit = await writer.stop('SIGTERM');
  assert.equal(exit.code, 0, writer.logs.slice(-5).join('\n'));
  const stopped = writer.logs.find((l) => l.includes('"writer stopped"'));
  console.log(`writer-kill: the last writer's stats: ${stopped ? JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(stopped)).filter(([k]) => ['batches', 'rowsInserted', 'duplicatesSkipped'].includes(k)))) : 'n/a'}`);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../scripts/lib/prng.ts';
import { eventually, type ServiceProcess } from '../helpers/service-process.ts';
import { secs, startDistributed, TOPICS, type Distributed } from './support/distributed.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from './support/traffic.ts';
import { assertExact, printFigures, readTotals, settledTotals } from './support/totals.ts';

/**
 * kill -9 of the enricher mid-stream (distributed), three times at seeded points; each
 * time a new enricher takes over the group. An enricher that dies after publishing a
 * chunk to llm.traces.enriched and before committing it on llm.traces.raw makes its
 * successor publish that chunk again: new messages, new offsets, which the writer's batch
 * tokens cannot recognise; its memory of recent trace_ids must drop them. The test counts
 * those replays (enriched messages beyond one per raw message) and how many rows the
 * writer dropped as repeats (its stats at shutdown), and asserts exact totals. The second
 * kill is made to fall between a publish and its commit (the mock broker fails offset
 * commits for a while), so at least one replay is certain.
 */
const KILLS = 3;
const SEED = 9001;
const rnd = prng(SEED);
const events = makeEvents('ek', 20_000, SEED);
let d: Distributed;
let writer: ServiceProcess;
const client = new RetryingClient(() => d.ingestUrl);
let stream: ReturnType<RetryingClient['stream']>;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const parseLine = (l: string): { msg?: string; duplicatesSkipped?: number } | null => {
  try {
    return JSON.parse(l);
  } catch {
    return null;
  }
};

before(async () => {
  // Small enricher chunks: many publish-then-commit steps for a kill to fall between.
  d = await startDistributed({ name: 'enricher-kill', sessionTimeoutMs: 6_000, env: { ENRICHER_BATCH_SIZE: '15', WRITER_BATCH_SIZE: '200' } });
  writer = d.start('writer');
  const ingest = d.start('ingest');
  await Promise.all([writer, ingest].map((s) => s.waitForLog(/service ready/, 120_000)));
});

after(async () => {
  stream?.stop();
  await d?.shutdown();
});

test(`the enricher is SIGKILLed ${KILLS} times mid-stream; every acknowledged event is counted once`, async () => {
  stream = client.stream(events, { batchSize: 20, pauseMs: 150 });
  let enricher = d.start('enricher');
  await enricher.waitForLog(/service ready/, 120_000);
  const restartMs: number[] = [];
  for (let run = 0; run < KILLS; run++) {
    // Let a backlog build up (the first run) or be worked through (later runs), then kill -9
    // a seeded moment after the enricher's output reached the store again.
    const base = (await readTotals(d.sql)).rows;
    await eventually(() => readTotals(d.sql), (t) => t.rows > base, 120_000, `run ${run}: enriched events reaching the store`);
    const stallCommits = run === 1;
    if (stallCommits) {
      // This kill surely falls between a publish and its commit: the broker answers offset
      // commits with a retriable error for a while, so the enricher sits there, published.
      await d.kafka.ok('push_errors OffsetCommit 60 COORDINATOR_LOAD_IN_PROGRESS');
      await new Promise((r) => setTimeout(r, 1_500));
    } else {
      await new Promise((r) => setTimeout(r, 200 + Math.floor(rnd() * 1500)));
    }
    enricher.child.kill('SIGKILL');
    if (stallCommits) await d.kafka.ok('clear_errors OffsetCommit');
    assert.equal((await enricher.exited).signal, 'SIGKILL');
    const t0 = Date.now();
    enricher = d.start('enricher');
    await enricher.waitForLog(/enricher consuming/, 120_000);
    restartMs.push(Date.now() - t0);
    console.log(`enricher-kill run ${run}: killed ${stallCommits ? 'while its offset commits were failing' : 'at a seeded moment'} with ${base} rows stored; the next enricher joined in ${secs(restartMs[run])} s`);
  }

  await new Promise((r) => setTimeout(r, 3_000));
  stream.stop();
  await stream.done;
  const acked = events.filter((e) => client.acknowledged.has(e.trace_id));
  assert.equal(client.attempted.size, acked.length);
  const t0 = Date.now();
  const { totals, reachedMs } = await settledTotals(d.sql, acked.length, { what: 'enricher-kill' });
  // Every raw message enriched at least once; the excess are replays after the kills.
  const raw = sum(await d.highWatermarks(TOPICS.raw));
  const enriched = sum(await d.highWatermarks(TOPICS.enriched));
  const stop = await writer.stop('SIGTERM');
  assert.equal(stop.code, 0);
  const stats = writer.logs.map(parseLine).find((l) => l?.msg === 'writer stopped');
  printFigures('enricher-kill-9-x3', client.attempted.size, acked.length, totals, Math.max(...restartMs));
  console.log(
    `enricher-kill: ${raw} raw messages, ${enriched} enriched messages (${enriched - raw} replayed by a restarted enricher); the writer dropped ${stats?.duplicatesSkipped} rows as repeats of stored trace_ids; all counted ${secs(reachedMs)} s after the stream stopped (${secs(Date.now() - t0)} s with settling)`,
  );
  assert.equal(raw, acked.length, 'one raw message per acknowledged event (the client never had to resend)');
  assert.ok(enriched > raw, 'the kill during the stalled commit made the next enricher publish its chunk again');
  assert.equal(stats?.duplicatesSkipped, enriched - raw, 'the writer dropped exactly the replayed messages');
  assertExact(totals, { n: acked.length, pico: expectedPicoOf(acked) });
});

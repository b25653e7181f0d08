import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceProcess } from '../helpers/service-process.ts';
import { allInOne, type AllInOne } from './support/all-in-one.ts';
import { secs, startDistributed, type Distributed } from './support/distributed.ts';
import { expectedPicoOf, makeEvents, RetryingClient, type TraceEvent } from './support/traffic.ts';
import { assertExact, printFigures, settledTotals, type Sql } from './support/totals.ts';

/**
 * Graceful shutdown under load. While a client sends (two requests at a time), SIGTERM
 * goes to ingest, then the enricher, then the writer (distributed), and to the all-in-one:
 * each process exits 0 — so within SHUTDOWN_TIMEOUT_MS, past which it would exit 1 —
 * and after its restart nothing acknowledged is lost and nothing is counted twice.
 * Requests refused while ingest is down are resent by the client, as a real one would.
 * (The consumers run with a 6 s Kafka session, KAFKA_SESSION_TIMEOUT_MS=6000: after a
 * member's LeaveGroup, librdkafka 2.0's mock cluster still waits one session timeout
 * before the restarted member is given the partitions; a broker would not.)
 */
const SHUTDOWN_TIMEOUT_MS = 20_000;
let d: Distributed | undefined;
let a: AllInOne | undefined;

after(async () => {
  await d?.shutdown();
  await a?.shutdown();
});

/** SIGTERM, expect exit 0 and `stopped cleanly`; returns how long the stop took. */
async function sigterm(p: ServiceProcess): Promise<number> {
  const t0 = Date.now();
  const exit = await p.stop('SIGTERM');
  const ms = Date.now() - t0;
  assert.equal(exit.code, 0, `${p.name} exit ${JSON.stringify(exit)} after ${ms} ms:\n${p.logs.slice(-8).join('\n')}`);
  assert.ok(p.logs.some((l) => /stopped cleanly/.test(l)), `${p.name} did not log 'stopped cleanly'`);
  return ms;
}

/**
 * After the stream: everything the client sent was acknowledged (a restart costs retries,
 * never an event), the totals settle to exactly the acknowledged events and their cost.
 */
async function verifySettled(sql: Sql, events: readonly TraceEvent[], client: RetryingClient, fault: string, recoverMs: number): Promise<void> {
  const acked = events.filter((e) => client.acknowledged.has(e.trace_id));
  assert.equal(client.attempted.size, acked.length);
  const { totals } = await settledTotals(sql, acked.length, { what: fault });
  printFigures(fault, client.attempted.size, acked.length, totals, recoverMs);
  assertExact(totals, { n: acked.length, pico: expectedPicoOf(acked) });
}

test('distributed: SIGTERM to ingest, enricher and writer under load; each exits 0; totals exact after restarts', async () => {
  d = await startDistributed({ name: 'sigterm', sessionTimeoutMs: 6_000, env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), WRITER_BATCH_SIZE: '100', ENRICHER_BATCH_SIZE: '100' } });
  const dist = d;
  const running: Record<string, ServiceProcess> = {};
  for (const name of ['writer', 'enricher', 'ingest']) running[name] = dist.start(name);
  await Promise.all(Object.values(running).map((s) => s.waitForLog(/service ready/, 120_000)));
  const events = makeEvents('gs-d', 20_000, 515);
  const client = new RetryingClient(() => dist.ingestUrl);
  const stream = client.stream(events, { batchSize: 10, pauseMs: 300, concurrency: 2 });
  const timings: Record<string, { stop_s: string; back_s: string }> = {};
  let recoverMs = 0;
  try {
    for (const name of ['ingest', 'enricher', 'writer']) {
      await new Promise((r) => setTimeout(r, 3_000));
      const t0 = Date.now();
      const stopMs = await sigterm(running[name]);
      running[name] = dist.start(name);
      await running[name].waitForLog(/service ready/, 120_000);
      const backMs = Date.now() - t0;
      recoverMs = Math.max(recoverMs, backMs);
      timings[name] = { stop_s: secs(stopMs), back_s: secs(backMs) };
    }
    await new Promise((r) => setTimeout(r, 3_000));
  } finally {
    stream.stop();
    await stream.done;
  }
  console.log(`sigterm-distributed: SIGTERM -> exit 0 (stop_s) and -> ready again (back_s): ${JSON.stringify(timings)}; client ${JSON.stringify(client.stats)}`);
  await verifySettled(dist.sql, events, client, 'sigterm-under-load-distributed', recoverMs);
  for (const p of Object.values(running)) await sigterm(p);
});

test('all-in-one: SIGTERM under load exits 0; after the restart totals are exact', async () => {
  a = await allInOne('sigterm-aio');
  const aio = a;
  const env = { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) };
  const first = await aio.start(env);
  const events = makeEvents('gs-a', 20_000, 616);
  const client = new RetryingClient(() => aio.apiUrl);
  const stream = client.stream(events, { batchSize: 20, pauseMs: 50, concurrency: 2 });
  let stopMs: number;
  let recoverMs: number;
  try {
    await new Promise((r) => setTimeout(r, 4_000));
    const t0 = Date.now();
    stopMs = await sigterm(first.p);
    await aio.start(env);
    recoverMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, 3_000));
  } finally {
    stream.stop();
    await stream.done;
  }
  console.log(`sigterm-all-in-one: SIGTERM -> exit 0 in ${secs(stopMs)} s, serving again ${secs(recoverMs)} s after the signal; client ${JSON.stringify(client.stats)}`);
  await verifySettled(aio.sql, events, client, 'sigterm-under-load-all-in-one', recoverMs);
  await sigterm(aio.process!);
});

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { prng } from '../../scripts/lib/prng.ts';
import { allInOne, type AllInOne } from './support/all-in-one.ts';
import { secs } from './support/distributed.ts';
import { expectedPicoOf, makeEvents, RetryingClient, type TraceEvent } from './support/traffic.ts';
import { assertExact, printFigures, readTotals, settledTotals, type Totals } from './support/totals.ts';

/**
 * kill -9 of the all-in-one (`npm start`) right after a 202. A client sends batches one at
 * a time and the process is SIGKILLed the moment one of them is answered 202 (a seeded
 * number of batches into each run), then restarted on the same DATA_DIR and ports. After
 * each restart everything acknowledged before the kill is in the restarted process's
 * ClickHouse; at the end every event that got a 202 is counted exactly once in traces and
 * in both rollups.
 *
 * The second test adds a client sending all along, so other requests are in flight at
 * each kill; the client resends them after the restart (same trace_ids), and some of them
 * were already stored; the last test checks the rollups count those exactly once too.
 */
const KILLS = 6;
const instances: AllInOne[] = [];

after(async () => {
  for (const a of instances) await a.shutdown();
});

interface KillResult {
  acked: TraceEvent[];
  attempted: number;
  totals: Totals;
  readyTimes: number[];
  inFlightStored: number;
  aio: AllInOne;
}

async function killAfter202(name: string, seed: number, withBackground: boolean): Promise<KillResult> {
  const rnd = prng(seed);
  const a = await allInOne(name);
  instances.push(a);
  const killerEvents = makeEvents(`${name}-k`, 5_000, seed);
  const backgroundEvents = makeEvents(`${name}-b`, 20_000, seed + 1);
  const killer = new RetryingClient(() => a.apiUrl);
  const background = new RetryingClient(() => a.apiUrl);
  await a.start();
  const stream = withBackground ? background.stream(backgroundEvents, { batchSize: 20, pauseMs: 50, concurrency: 2 }) : null;
  let next = 0;
  const readyTimes: number[] = [];
  let inFlightStored = 0;
  try {
    for (let run = 0; run < KILLS; run++) {
      const batches = 1 + Math.floor(rnd() * 4);
      const size = 10 + Math.floor(rnd() * 40);
      let sent = 0;
      let killedAt = 0;
      const p = a.process!;
      killer.onAccepted = () => {
        if (++sent === batches) {
          p.child.kill('SIGKILL'); // synchronously in the 202's continuation, before anything else of this test runs
          killedAt = Date.now();
        }
      };
      while (sent < batches) {
        const batch = killerEvents.slice(next, next + size);
        next += size;
        await killer.send(batch);
      }
      killer.onAccepted = null;
      const exit = await p.exited;
      assert.equal(exit.signal, 'SIGKILL');
      const ackedAtKill = new Set([...killer.acknowledged, ...background.acknowledged]);
      const unackedAtKill = [...background.attempted].filter((id) => !background.acknowledged.has(id));
      const { readyMs } = await a.start();
      readyTimes.push(Date.now() - killedAt);
      const stored = new Set((await a.sql('SELECT DISTINCT trace_id FROM traces')).map((r) => r.trace_id as string));
      const missing = [...ackedAtKill].filter((id) => !stored.has(id)).length;
      // In flight at the kill: sent, no 202 yet. Those already stored will be sent again.
      const storedInFlight = unackedAtKill.filter((id) => stored.has(id)).length;
      inFlightStored += storedInFlight;
      const t = await readTotals(a.sql);
      console.log(
        `${name} run ${run}: killed on the 202 of batch ${batches} (${size} events each); restart ready in ${secs(readyMs)} s; ${ackedAtKill.size} acknowledged before the kill, ${missing} of them missing; ${unackedAtKill.length} in flight, ${storedInFlight} of them already stored; traces ${t.rows}, distinct ${t.uniq}, 1m ${t.rollup1m}, 1h ${t.rollup1h}`,
      );
      assert.equal(missing, 0, `run ${run}: acknowledged events missing after the restart`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
  } finally {
    stream?.stop();
    await stream?.done;
  }
  const ackedIds = new Set([...killer.acknowledged, ...background.acknowledged]);
  const acked = [...killerEvents, ...backgroundEvents].filter((e) => ackedIds.has(e.trace_id));
  const attempted = killer.attempted.size + background.attempted.size;
  assert.equal(attempted, acked.length, 'every event sent was eventually acknowledged');
  const { totals } = await settledTotals(a.sql, acked.length, { what: name });
  if (withBackground) console.log(`${name}: ${inFlightStored} events were stored but not yet acknowledged at a kill; the client sent them again; background client ${JSON.stringify(background.stats)}`);
  console.log(`${name}: kill -> serving again ${readyTimes.map((ms) => secs(ms)).join(', ')} s`);
  return { acked, attempted, totals, readyTimes, inFlightStored, aio: a };
}

test(`SIGKILL right after a 202, ${KILLS} times: every acknowledged event counted exactly once`, async () => {
  const r = await killAfter202('aio-kill', 77, false);
  printFigures('all-in-one-kill-9-after-202', r.attempted, r.acked.length, r.totals, Math.max(...r.readyTimes));
  assertExact(r.totals, { n: r.acked.length, pico: expectedPicoOf(r.acked) });
  assert.equal((await r.aio.process!.stop('SIGTERM')).code, 0);
});

let inFlight: KillResult | undefined;

test(`SIGKILL right after a 202 with other requests in flight, ${KILLS} times: nothing acknowledged lost, no row stored twice`, async () => {
  inFlight = await killAfter202('aio-inflight', 78, true);
  const { totals, acked } = inFlight;
  printFigures('all-in-one-kill-9-requests-in-flight', inFlight.attempted, acked.length, totals, Math.max(...inFlight.readyTimes));
  assert.equal(totals.rows, acked.length, 'rows in traces');
  assert.equal(totals.uniq, acked.length, 'distinct trace_ids in traces');
  assert.ok(totals.rollup1m <= acked.length && totals.rollup1h <= acked.length, 'the rollups never count more than traces');
  assert.equal((await inFlight.aio.process!.stop('SIGTERM')).code, 0);
});

// A SIGKILL during an insert can leave its rows in traces but not yet in traces_1m/traces_1h
// (the views write after the table), and the client's resend is then dropped as a repeat;
// the restarted pipeline repairs such rollup buckets before its writer starts
// (services/writer/rollup-repair.ts).
test(
  '... and the rollups count those events exactly once too',
  () => {
    assert.ok(inFlight, 'the previous test ran');
    assertExact(inFlight.totals, { n: inFlight.acked.length, pico: expectedPicoOf(inFlight.acked) });
  },
);

/**
 * `npm run soak -- --minutes 30`: the all-in-one pipeline (`npm start`, embedded chDB) under
 * steady traffic from several retrying clients while it is SIGKILLed and restarted at
 * once every 1–3 minutes (a zombie may still hold its pid, which the old pid lock refused).
 * Each minute it samples the pipeline's RSS, open file descriptors, event-loop delay (from
 * /healthz) and active parts per table; at the end it checks that every acknowledged
 * event is counted exactly once in `traces` and both rollups, with the exact cost.
 * Prints a progress line every 10 s, the samples as a table, and exits 1 when a target
 * is missed (counts not exact, RSS or FDs not flat, parts over the bound).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { prng } from '../lib/prng.ts';
import { allInOne, type AllInOne } from '../../test/faults/support/all-in-one.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from '../../test/faults/support/traffic.ts';
import { readTotals, settledTotals, type Totals } from '../../test/faults/support/totals.ts';
import { picoToUsdText } from '../../test/helpers/expected-cost.ts';
import { parseSoakArgs, type SoakOptions } from './args.ts';
import { flatness, maxParts, PARTS_BOUND, sampleTable, type SoakSample } from './verdict.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => n.toLocaleString('en-US');

interface Traffic {
  acknowledged: number;
  pico: bigint;
  clients: RetryingClient[];
  stop(): void;
  done: Promise<void>;
}

/** `clients` workers, each sending a batch every clients×batch/rate seconds (catching up after an outage). */
function startTraffic(a: AllInOne, o: SoakOptions): Traffic {
  let stopped = false;
  const t: Traffic = { acknowledged: 0, pico: 0n, clients: [], stop: () => (stopped = true), done: Promise.resolve() };
  const intervalMs = (o.clients * o.batch * 1000) / o.rate;
  const worker = async (w: number) => {
    const client = new RetryingClient(() => a.apiUrl, { keepIds: false, networkRetryMs: 250 });
    t.clients.push(client);
    let slot = Date.now() + (w * intervalMs) / o.clients;
    for (let k = 0; !stopped; k++) {
      const wait = slot - Date.now();
      if (wait > 0) await sleep(wait);
      slot += intervalMs;
      const batch = makeEvents(`soak${o.seed}-w${w}-${k}`, o.batch, o.seed * 1_000_003 + w * 7919 + k);
      await client.send(batch);
      t.acknowledged += batch.length;
      t.pico += BigInt(expectedPicoOf(batch));
    }
  };
  t.done = Promise.all(Array.from({ length: o.clients }, (_, w) => worker(w))).then(() => undefined);
  return t;
}

function procFigures(pid: number): { rss: number; fds: number } | null {
  try {
    const rssKib = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return { rss: Math.round(rssKib / 1024), fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return null;
  }
}

async function activeParts(a: AllInOne): Promise<Record<string, number>> {
  try {
    const rows = await a.sql('SELECT table, toUInt32(count()) AS n FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table ORDER BY table');
    return Object.fromEntries(rows.map((r) => [r.table as string, Number(r.n)]));
  } catch {
    return {}; // restarting
  }
}

async function loopDelay(a: AllInOne): Promise<{ p99: number; max: number } | null> {
  try {
    const res = await fetch(`${a.apiUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    const d = (await res.json()).event_loop_delay;
    const w = d.last ?? d.current;
    return { p99: w.p99_ms, max: w.max_ms };
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  let o: SoakOptions;
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const rnd = prng(o.seed);
  const a = await allInOne('soak');
  const first = await a.start();
  console.error(`soak: pipeline ready in ${(first.readyMs / 1000).toFixed(1)} s; ${o.minutes} min at ${fmt(o.rate)} events/s from ${o.clients} clients, a SIGKILL every ${o.killMinS}–${o.killMaxS} s`);
  const t0 = Date.now();
  const endAt = t0 + o.minutes * 60_000;
  const traffic = startTraffic(a, o);
  const samples: SoakSample[] = [];
  const restartsMs: number[] = [];
  let restarting = false;
  let kills = 0;

  const killer = (async () => {
    for (;;) {
      const waitMs = (o.killMinS + rnd() * (o.killMaxS - o.killMinS)) * 1000;
      if (Date.now() + waitMs >= endAt) return;
      await sleep(waitMs);
      const p = a.process!;
      restarting = true;
      const killedAt = Date.now();
      p.child.kill('SIGKILL');
      await p.exited;
      kills++;
      await a.start(); // at once: the lock must not outlive the killed process
      restartsMs.push(Date.now() - killedAt);
      restarting = false;
    }
  })();

  const sample = async () => {
    const t_s = Math.round((Date.now() - t0) / 1000);
    const pid = restarting ? null : (a.process?.child.pid ?? null);
    const proc = pid === null ? null : procFigures(pid);
    const loop = pid === null ? null : await loopDelay(a);
    const s: SoakSample = {
      t_s,
      pid,
      rss_mib: proc?.rss ?? null,
      fds: proc?.fds ?? null,
      loop_p99_ms: loop?.p99 ?? null,
      loop_max_ms: loop?.max ?? null,
      parts: pid === null ? {} : await activeParts(a),
      acknowledged: traffic.acknowledged,
      unavailable: traffic.clients.reduce((n, c) => n + c.stats.unavailable, 0),
      network_errors: traffic.clients.reduce((n, c) => n + c.stats.networkErrors, 0),
      kills,
    };
    samples.push(s);
  };

  let nextSample = t0 + o.sampleS * 1000;
  let nextProgress = t0 + 10_000;
  while (Date.now() < endAt) {
    await sleep(Math.max(0, Math.min(nextSample, nextProgress, endAt) - Date.now()));
    if (Date.now() >= nextSample) {
      await sample();
      nextSample += o.sampleS * 1000;
    }
    if (Date.now() >= nextProgress) {
      const min = (Date.now() - t0) / 60_000;
      const last = samples[samples.length - 1];
      console.error(
        `soak ${min.toFixed(1)}/${o.minutes} min: ${fmt(traffic.acknowledged)} acknowledged (${fmt(Math.round(traffic.acknowledged / ((Date.now() - t0) / 1000)))}/s), ${kills} kills${restarting ? ' (restarting)' : ''}` +
          (last?.rss_mib ? `, RSS ${last.rss_mib} MiB, ${last.fds} FDs` : ''),
      );
      nextProgress += 10_000;
    }
  }
  traffic.stop();
  await killer;
  await traffic.done; // every batch started runs to its 202
  await sample();
  const trafficS = (Date.now() - t0) / 1000;
  console.error(`soak: traffic stopped after ${trafficS.toFixed(0)} s; ${fmt(traffic.acknowledged)} acknowledged; waiting for the counts`);

  const expectedUsd = picoToUsdText(traffic.pico);
  let totals: Totals;
  try {
    totals = (await settledTotals(a.sql, traffic.acknowledged, { timeoutMs: 300_000, rollupWaitMs: 60_000 })).totals;
  } catch (err) {
    console.error(`soak: ${(err as Error).message}`);
    totals = await readTotals(a.sql);
  }
  const n = traffic.acknowledged;
  const counts = {
    acknowledged: n,
    traces: totals.rows,
    distinct: totals.uniq,
    rollup_1m: totals.rollup1m,
    rollup_1h: totals.rollup1h,
    cost_expected: expectedUsd,
    cost_traces: totals.cost,
    cost_1m: totals.cost1m,
    cost_1h: totals.cost1h,
  };
  const exact = totals.rows === n && totals.uniq === n && totals.rollup1m === n && totals.rollup1h === n && [totals.cost, totals.cost1m, totals.cost1h].every((c) => c === expectedUsd);
  const rss = flatness(samples, 'rss_mib');
  const fds = flatness(samples, 'fds');
  const parts = maxParts(samples);
  const tables = [...new Set(samples.flatMap((s) => Object.keys(s.parts)))].filter((t) => t === 'traces' || /^traces_|^scores$/.test(t)).sort();
  const clients = traffic.clients.map((c) => c.stats);

  console.log(`\n## Soak: ${o.minutes} min, ${fmt(o.rate)} events/s offered from ${o.clients} clients, all-in-one SIGKILLed ${kills} times\n`);
  console.log(sampleTable(samples, tables));
  console.log(`\nrestart (SIGKILL → ready): ${restartsMs.map((ms) => (ms / 1000).toFixed(1)).join(', ') || '–'} s`);
  console.log(`clients: ${clients.reduce((s, c) => s + c.requests, 0)} requests, ${clients.reduce((s, c) => s + c.unavailable, 0)} answered 503, ${clients.reduce((s, c) => s + c.networkErrors, 0)} connection errors (all resent)`);
  console.log(`counts: ${JSON.stringify(counts)}`);
  const verdict = (met: boolean | null) => (met === null ? 'n/a (run shorter than 15 min)' : met ? 'met' : 'MISSED');
  console.log(`target counts exact: ${exact ? 'met' : 'MISSED'}`);
  console.log(`target RSS flat (last 10 min within 10 % of min 5–10): ${verdict(rss.met)} (${rss.early ?? '–'} → ${rss.late ?? '–'} MiB, ratio ${rss.ratio ?? '–'})`);
  console.log(`target FDs flat: ${verdict(fds.met)} (${fds.early ?? '–'} → ${fds.late ?? '–'}, ratio ${fds.ratio ?? '–'})`);
  console.log(`target active parts ≤ ${PARTS_BOUND} per table: ${parts.parts <= PARTS_BOUND ? 'met' : 'MISSED'} (most: ${parts.parts} in ${parts.table || '–'})`);
  if (o.out) writeFileSync(o.out, JSON.stringify({ options: o, samples, restartsMs, counts, exact, rss, fds, parts, clients }, null, 2));

  await a.shutdown();
  return exact && rss.met !== false && fds.met !== false && parts.parts <= PARTS_BOUND ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

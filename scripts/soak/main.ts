/**
 * `npm run soak -- --minutes 30`: the pipeline under steady traffic from several retrying
 * clients while faults hit it every 1–3 minutes, in both modes one after the other:
 * - embedded: the all-in-one (`npm start`, chDB) SIGKILLed and restarted at once (a zombie
 *   may still hold its pid, which the old pid lock refused);
 * - distributed: a random one of ingest, enricher, writer and the `clickhouse` service
 *   SIGKILLed and restarted at once, or the Kafka broker down for 10–20 s.
 * Each minute it samples every process's RSS, open file descriptors and event-loop delay
 * (from /healthz) and the active parts per table; at the end it checks that every
 * acknowledged event is counted exactly once in `traces` and both rollups, with the exact
 * cost. Prints a progress line every 10 s, the samples as a table per mode, and exits 1
 * when a target is missed (counts not exact, RSS or FDs not flat, parts over the bound).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { prng } from '../lib/prng.ts';
import { expectedPicoOf, makeEvents, RetryingClient } from '../../test/faults/support/traffic.ts';
import { readTotals, settledTotals, type Totals } from '../../test/faults/support/totals.ts';
import { picoToUsdText } from '../../test/helpers/expected-cost.ts';
import { parseSoakArgs, type SoakMode, type SoakOptions } from './args.ts';
import { distributedTarget } from './distributed-target.ts';
import { embeddedTarget } from './embedded-target.ts';
import type { SoakTarget } from './target.ts';
import { flatness, maxParts, PARTS_BOUND, processNames, sampleTable, type Flatness, type ProcessSample, type SoakSample } from './verdict.ts';

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
function startTraffic(t_: SoakTarget, o: SoakOptions, rate: number): Traffic {
  let stopped = false;
  const t: Traffic = { acknowledged: 0, pico: 0n, clients: [], stop: () => (stopped = true), done: Promise.resolve() };
  const intervalMs = (o.clients * o.batch * 1000) / rate;
  const worker = async (w: number) => {
    const client = new RetryingClient(() => t_.apiUrl, { keepIds: false, networkRetryMs: 250 });
    t.clients.push(client);
    let slot = Date.now() + (w * intervalMs) / o.clients;
    for (let k = 0; !stopped; k++) {
      const wait = slot - Date.now();
      if (wait > 0) await sleep(wait);
      slot += intervalMs;
      const batch = makeEvents(`soak${o.seed}-${t_.mode}-w${w}-${k}`, o.batch, o.seed * 1_000_003 + w * 7919 + k);
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

async function activeParts(t: SoakTarget): Promise<Record<string, number>> {
  try {
    const rows = await t.sql('SELECT table, toUInt32(count()) AS n FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table ORDER BY table');
    return Object.fromEntries(rows.map((r) => [r.table as string, Number(r.n)]));
  } catch {
    return {}; // the engine is restarting
  }
}

async function loopDelay(url: string | null): Promise<{ p99: number; max: number } | null> {
  if (!url) return null;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const d = (await res.json()).event_loop_delay;
    const w = d.last ?? d.current;
    return { p99: w.p99_ms, max: w.max_ms };
  } catch {
    return null;
  }
}

interface ModeResult {
  mode: SoakMode;
  ok: boolean;
  samples: SoakSample[];
  faults: string[];
  counts: Record<string, unknown>;
  exact: boolean;
  flat: Flatness[];
  parts: { table: string; parts: number };
}

async function soak(mode: SoakMode, o: SoakOptions): Promise<ModeResult> {
  const target = mode === 'embedded' ? await embeddedTarget() : await distributedTarget();
  try {
    return await soakTarget(mode, o, target);
  } finally {
    await target.shutdown(); // also when a fault could not be undone: no process is left behind
  }
}

async function soakTarget(mode: SoakMode, o: SoakOptions, target: SoakTarget & { readyMs: number }): Promise<ModeResult> {
  const rate = o.rate[mode];
  const rnd = prng(o.seed);
  console.error(`soak ${mode}: ready in ${(target.readyMs / 1000).toFixed(1)} s; ${o.minutes} min at ${fmt(rate)} events/s from ${o.clients} clients, a fault every ${o.killMinS}–${o.killMaxS} s among ${target.victims.join(', ')}`);
  const t0 = Date.now();
  const endAt = t0 + o.minutes * 60_000;
  const traffic = startTraffic(target, o, rate);
  const samples: SoakSample[] = [];
  const faults: string[] = [];
  const names = new Set<string>();
  let faulting: string | null = null;
  let faultFailed: string | null = null;

  const faulter = (async () => {
    for (;;) {
      const waitMs = (o.killMinS + rnd() * (o.killMaxS - o.killMinS)) * 1000;
      if (Date.now() + waitMs >= endAt) return;
      await sleep(waitMs);
      faulting = target.victims[Math.floor(rnd() * target.victims.length)];
      const at = ((Date.now() - t0) / 60_000).toFixed(1);
      let what: string;
      try {
        what = await target.fault(faulting, rnd);
      } catch (err) {
        // The victim did not come back: say so, stop faulting, let the run end and count.
        faultFailed = `${faulting} did not come back: ${(err as Error).message.split('\n')[0]}`;
        faults.push(`${at} min: ${faultFailed}`);
        console.error(`soak ${mode}: ${faultFailed}`);
        return;
      }
      faults.push(`${at} min: ${what}`);
      console.error(`soak ${mode}: ${what}`);
      faulting = null;
    }
  })();

  const sample = async () => {
    const procs: Record<string, ProcessSample | null> = {};
    for (const n of names) procs[n] = null; // down unless seen below
    for (const p of target.processes()) {
      names.add(p.name);
      const f = procFigures(p.pid);
      const loop = f ? await loopDelay(p.healthUrl) : null;
      procs[p.name] = f ? { pid: p.pid, rss_mib: f.rss, fds: f.fds, loop_p99_ms: loop?.p99 ?? null, loop_max_ms: loop?.max ?? null } : null;
    }
    samples.push({
      t_s: Math.round((Date.now() - t0) / 1000),
      procs,
      parts: await activeParts(target),
      acknowledged: traffic.acknowledged,
      unavailable: traffic.clients.reduce((n, c) => n + c.stats.unavailable, 0),
      network_errors: traffic.clients.reduce((n, c) => n + c.stats.networkErrors, 0),
      faults: faults.length,
    });
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
      const rss = last ? Object.entries(last.procs).map(([n, p]) => `${n} ${p ? `${p.rss_mib} MiB/${p.fds} FDs` : 'down'}`).join(', ') : '';
      console.error(
        `soak ${mode} ${min.toFixed(1)}/${o.minutes} min: ${fmt(traffic.acknowledged)} acknowledged (${fmt(Math.round(traffic.acknowledged / ((Date.now() - t0) / 1000)))}/s), ${faults.length} faults${faulting ? ` (${faulting} down)` : ''}` +
          (rss ? `; ${rss}` : ''),
      );
      nextProgress += 10_000;
    }
  }
  traffic.stop();
  await faulter;
  await traffic.done; // every batch started runs to its 202
  await sample();
  console.error(`soak ${mode}: traffic stopped after ${((Date.now() - t0) / 1000).toFixed(0)} s; ${fmt(traffic.acknowledged)} acknowledged; waiting for the counts`);

  const expectedUsd = picoToUsdText(traffic.pico);
  let totals: Totals;
  try {
    totals = (await settledTotals(target.sql, traffic.acknowledged, { timeoutMs: 300_000, rollupWaitMs: 60_000 })).totals;
  } catch (err) {
    console.error(`soak ${mode}: ${(err as Error).message}`);
    totals = await readTotals(target.sql);
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
  // Flatness is judged on the samples taken under traffic (the one after it stopped is only in the table).
  const underTraffic = samples.slice(0, -1);
  const flat = processNames(underTraffic).flatMap((p) => [flatness(underTraffic, p, 'rss_mib'), flatness(underTraffic, p, 'fds')]);
  const parts = maxParts(samples);
  const tables = [...new Set(samples.flatMap((s) => Object.keys(s.parts)))].filter((t) => t === 'traces' || /^traces_|^scores$/.test(t)).sort();
  const clients = traffic.clients.map((c) => c.stats);

  console.log(`\n## Soak, ${mode}: ${o.minutes} min, ${fmt(rate)} events/s offered from ${o.clients} clients, ${faults.length} faults\n`);
  console.log(sampleTable(samples, tables));
  console.log(`\nfaults: ${faults.join('; ') || '–'}`);
  console.log(`clients: ${clients.reduce((s, c) => s + c.requests, 0)} requests, ${clients.reduce((s, c) => s + c.unavailable, 0)} answered 503, ${clients.reduce((s, c) => s + c.networkErrors, 0)} connection errors (all resent)`);
  console.log(`counts: ${JSON.stringify(counts)}`);
  const verdict = (met: boolean | null) => (met === null ? 'n/a (run shorter than 15 min)' : met ? 'met' : 'MISSED');
  console.log(`target counts exact: ${exact ? 'met' : 'MISSED'}`);
  for (const f of flat) {
    console.log(`target ${f.process} ${f.metric === 'rss_mib' ? 'RSS' : 'FDs'} flat (last 10 min within 10 % of min 5–10): ${verdict(f.met)} (${f.early ?? '–'} → ${f.late ?? '–'}, ratio ${f.ratio ?? '–'})`);
  }
  console.log(`target active parts ≤ ${PARTS_BOUND} per table: ${parts.parts <= PARTS_BOUND ? 'met' : 'MISSED'} (most: ${parts.parts} in ${parts.table || '–'})`);
  if (faultFailed) console.log(`target every fault undone: MISSED (${faultFailed})`);
  const ok = exact && flat.every((f) => f.met !== false) && parts.parts <= PARTS_BOUND && faultFailed === null;
  return { mode, ok, samples, faults, counts, exact, flat, parts };
}

async function main(): Promise<number> {
  let o: SoakOptions;
  try {
    o = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const results: ModeResult[] = [];
  for (const mode of o.modes) results.push(await soak(mode, o));
  if (o.out) writeFileSync(o.out, JSON.stringify({ options: o, results }, null, 2));
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * Section 2 — embedded end to end, and section 4 — freshness.
 * The pipeline runs as `npm start` does (services/all-in-one/main.ts, its own process and
 * DATA_DIR; under `node --cpu-prof` with --profile); this process is the load generator:
 * concurrent clients POST pre-built /v1/traces batches until every event is acknowledged
 * and counted exactly in `traces`, `traces_1m` and `traces_1h`. Then, at half the rate
 * just measured, each request's last trace is polled on GET /v1/traces/:id from its 2xx
 * until it is visible (at most 8 probes poll at a time, every 10 ms).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/service-process.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import type { BenchOptions } from './args.ts';
import { countsAre, rowCounts, SERVICE_PASSWORD, SERVICE_USER, type ChTarget, type RowCounts } from './ch.ts';
import { benchEvents, requestBodies } from './events.ts';
import { overload, type OverloadResult } from './overload.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './profile.ts';
import { procMemory, progress, REPO, runSectionMain, sectionOptions, sleep, startNode } from './proc.ts';
import { rate, summarize, type LatencySummary } from './stats.ts';

type Options = BenchOptions & { freshness: boolean; overload: boolean };

export interface EmbeddedResult {
  events: number;
  warmupEvents: number;
  clients: number;
  batch: number;
  avgEventBytes: number;
  avgRequestKiB: number;
  ackSeconds: number;
  countedSeconds: number;
  eventsPerS: number;
  counts: RowCounts;
  exact: boolean;
  pipelineCpuSeconds: number;
  /** Events per CPU-second of the pipeline process (its capacity on one busy core). */
  eventsPerCpuS: number;
  pipelinePeakRssMiB: number;
  loaderPeakRssMiB: number;
  freshness?: FreshnessResult;
  overload?: OverloadResult;
  profile?: { file: string; summary: ProfileSummary };
}

export interface FreshnessResult {
  targetEventsPerS: number;
  achievedEventsPerS: number;
  seconds: number;
  requests: number;
  events: number;
  /** From the 2xx at ingest to the first 200 of GET /v1/traces/:id, ms. */
  visible: LatencySummary;
  /** Request sent → 2xx, ms. */
  ingestAck: LatencySummary;
  errors: number;
  neverVisible: number;
  /** Requests whose trace was not probed because 8 probes were already polling. */
  probesSkipped: number;
  exact: boolean;
  pipelinePeakRssMiB: number;
}

runSectionMain(async (): Promise<EmbeddedResult> => {
  const opts = sectionOptions<Options>();
  const dir = tempDir('bench-embedded');
  const profDir = join(dir.path, 'cpuprof');
  const [apiPort, chPort] = [await freePort(), await freePort()];
  const pipeline = startNode({
    name: 'all-in-one',
    service: 'all-in-one',
    nodeArgs: opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    env: {
      DATA_DIR: join(dir.path, 'data'),
      PORT: String(apiPort),
      CLICKHOUSE_HTTP_PORT: String(chPort),
      CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD,
      INGEST_MAX_EVENTS: String(Math.max(opts.batch, opts.freshnessBatch)),
      INGEST_MAX_BODY_BYTES: String(64 * 1024 * 1024),
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    },
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const ch: ChTarget = { url: `http://127.0.0.1:${chPort}`, user: SERVICE_USER, password: SERVICE_PASSWORD };
  try {
    // Pre-build request bodies so the clock measures the pipeline, not the generator.
    progress('embedded: building request bodies', true);
    const { bodies, bytes } = requestBodies(benchEvents(opts.events, { seed: opts.seed, idPrefix: 'e2e' }), opts.batch);
    const warm = requestBodies(benchEvents(Math.min(3 * opts.batch, 3000), { seed: opts.seed + 1, idPrefix: 'warm' }), opts.batch);
    progress('embedded: starting the pipeline (all-in-one process)', true);
    await pipeline.waitForLog(/is ready/, 180_000);

    const post = async (body: string): Promise<number> => {
      const res = await fetch(`${api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${text.slice(0, 300)}`);
      return (JSON.parse(text) as { accepted: number }).accepted;
    };
    let warmEvents = 0;
    for (const body of warm.bodies) warmEvents += await post(body);

    // Throughput: concurrent clients, closed loop.
    let sent = 0;
    let next = 0;
    const cpu0 = pipeline.cpuSeconds();
    const started = performance.now();
    const ticker = setInterval(() => {
      const secs = (performance.now() - started) / 1000;
      progress(`embedded: ${sent}/${opts.events} events acknowledged, ${Math.round(sent / secs)} events/s, pipeline RSS ${procMemory(pipeline.pid)?.rssMiB ?? '?'} MiB`);
    }, 500);
    const client = async () => {
      while (next < bodies.length) sent += await post(bodies[next++]);
    };
    try {
      await Promise.all(Array.from({ length: opts.clients }, client));
    } finally {
      clearInterval(ticker);
    }
    const ackSeconds = (performance.now() - started) / 1000;
    // A 2xx already means "in ClickHouse"; count to prove it (and the rollups) hold every event.
    const expected = warmEvents + opts.events;
    let counts = await rowCounts(ch);
    for (let i = 0; !countsAre(counts, expected) && i < 120; i++) {
      progress(`embedded: waiting for exact counts (${counts.traces}/${expected} in traces)`, true);
      await sleep(250);
      counts = await rowCounts(ch);
    }
    const countedSeconds = (performance.now() - started) / 1000;
    const pipelineCpuSeconds = pipeline.cpuSeconds() - cpu0;
    const eventsPerS = rate(opts.events, countedSeconds);
    const pipelinePeakRssMiB = pipeline.peakRssMiB();
    const loaderPeakRssMiB = procMemory('self')?.peakRssMiB ?? 0;
    bodies.length = 0;

    const result: EmbeddedResult = {
      events: opts.events,
      warmupEvents: warmEvents,
      clients: opts.clients,
      batch: opts.batch,
      avgEventBytes: Math.round(bytes / opts.events),
      avgRequestKiB: Math.round(bytes / Math.ceil(opts.events / opts.batch) / 1024),
      ackSeconds: round2(ackSeconds),
      countedSeconds: round2(countedSeconds),
      eventsPerS: Math.round(eventsPerS),
      counts,
      exact: countsAre(counts, expected),
      pipelineCpuSeconds: round2(pipelineCpuSeconds),
      eventsPerCpuS: Math.round(rate(opts.events, pipelineCpuSeconds)),
      pipelinePeakRssMiB,
      loaderPeakRssMiB,
    };

    if (opts.freshness) result.freshness = await freshness(opts, api, ch, eventsPerS / 2, expected, () => pipeline.peakRssMiB());
    if (opts.overload) {
      const before = (await rowCounts(ch)).traces;
      pipeline.resetPeakRss();
      result.overload = await overload(opts, api, ch, eventsPerS, before, () => pipeline.peakRssMiB());
    }

    progress('embedded: stopping the pipeline', true);
    const exit = await pipeline.stop('SIGTERM', 60_000);
    if (opts.profile) {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      if (files.length === 0) throw new Error(`no .cpuprofile written (pipeline exit ${JSON.stringify(exit)})`);
      const src = join(profDir, files[0]);
      mkdirSync(join(REPO, '.bench'), { recursive: true });
      const dest = join(REPO, '.bench', 'embedded.cpuprofile');
      copyFileSync(src, dest);
      const profile = JSON.parse(readFileSync(src, 'utf8')) as CpuProfile;
      result.profile = { file: '.bench/embedded.cpuprofile', summary: summarizeProfile(profile, { top: 20, repoRoot: REPO }) };
    }
    return result;
  } finally {
    await pipeline.stop('SIGKILL');
    dir.cleanup();
  }
});

/**
 * Open loop at `eventsPerS`: a request of --freshness-batch events every batch/rate
 * seconds (sent late, never skipped, if the pipeline falls behind); for each, the last
 * event is polled on the query API from the 2xx until it answers 200.
 */
async function freshness(opts: Options, api: string, ch: ChTarget, eventsPerS: number, alreadyStored: number, peakRss: () => number): Promise<FreshnessResult> {
  const batch = Math.max(1, Math.min(opts.freshnessBatch, Math.floor(eventsPerS) || 1));
  const requests = Math.max(1, Math.round((eventsPerS * opts.freshnessSeconds) / batch));
  const { bodies, ids } = requestBodies(benchEvents(requests * batch, { seed: opts.seed + 2, idPrefix: 'fresh', spreadMs: 60_000 }), batch);
  const intervalMs = (batch / eventsPerS) * 1000;
  const visible: number[] = [];
  const acks: number[] = [];
  let errors = 0;
  let neverVisible = 0;
  let done = 0;
  let probing = 0;
  let skipped = 0;
  const MAX_PROBES = 8;
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();

  const one = async (i: number) => {
    const sentAt = performance.now();
    const res = await fetch(`${api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[i] }).catch(() => null);
    const ackAt = performance.now();
    if (!res || res.status !== 202) {
      errors++;
      await res?.text();
      return;
    }
    await res.text();
    acks.push(ackAt - sentAt);
    // A few readers, not a poller per request: the probes must not become the load.
    if (probing >= MAX_PROBES) {
      skipped++;
      done++;
      return;
    }
    probing++;
    try {
      await probe(ackAt, ids[i][ids[i].length - 1]);
    } finally {
      probing--;
    }
    done++;
  };
  const probe = async (ackAt: number, id: string) => {
    const deadline = ackAt + 30_000;
    for (;;) {
      const r = await fetch(`${api}/v1/traces/${encodeURIComponent(id)}`).catch(() => null);
      const status = r?.status;
      await r?.text();
      if (status === 200) {
        visible.push(performance.now() - ackAt);
        break;
      }
      if (status !== 404) errors++;
      if (performance.now() > deadline) {
        neverVisible++;
        break;
      }
      await sleep(10);
    }
  };

  for (let i = 0; i < requests; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (inflight.size >= 64) await Promise.race(inflight);
    const p = one(i).finally(() => inflight.delete(p));
    inflight.add(p);
    progress(`freshness: ${i + 1}/${requests} requests at ${Math.round(eventsPerS)} events/s target, ${done} done, ${visible.length} probed, p50 so far ${summarize(visible).p50} ms`);
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - t0) / 1000;
  const expected = alreadyStored + requests * batch;
  let counts = await rowCounts(ch);
  for (let i = 0; !countsAre(counts, expected) && i < 60; i++) {
    await sleep(250);
    counts = await rowCounts(ch);
  }
  return {
    targetEventsPerS: Math.round(eventsPerS),
    achievedEventsPerS: Math.round((requests * batch) / seconds),
    seconds: round2(seconds),
    requests,
    events: requests * batch,
    visible: summarize(visible),
    ingestAck: summarize(acks),
    errors,
    neverVisible,
    probesSkipped: skipped,
    exact: countsAre(counts, expected),
    pipelinePeakRssMiB: peakRss(),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

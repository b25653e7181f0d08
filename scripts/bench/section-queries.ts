/**
 * Section 5 — queries: the query API (the all-in-one process, its own DATA_DIR) over
 * --query-rows traces spread over 30 days, generated with INSERT … SELECT FROM numbers()
 * in chunks so the materialized views fill the rollups, plus eval scores for 10 % of the
 * traces and user feedback for 0.1 % (feedback carries no dimensions: the quality query
 * joins it to `traces`). The hour rollups are then merged (as background merges would
 * over 30 days), the pipeline restarted on the loaded data, and the closed hours'
 * quantiles finished (what the refreshable view does every minute). Each of the cost / latency /
 * errors / quality queries (30 days, hourly, group_by=feature,model) is timed at 1 and 32
 * concurrent clients (all API questions first, then the reference scans), next to the
 * same question answered by scanning `traces` (quality: `scores`, without the
 * latest-version resolution and join) on the ClickHouse HTTP interface.
 */
import { join } from 'node:path';
import { freePort } from '../../test/helpers/service-process.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import type { BenchOptions } from './args.ts';
import { chExec, chRows, SERVICE_PASSWORD, SERVICE_USER, type ChTarget } from './ch.ts';
import { progress, runSectionMain, sectionOptions, startNode } from './proc.ts';
import { DAY_MS, generateScoresSql, generateTracesSql } from './query-data.ts';
import { summarize, type LatencySummary } from './stats.ts';

const CHUNK_ROWS = 1_000_000;

export interface LoadFigure {
  clients: number;
  latency: LatencySummary;
  errors: number;
}

export interface QueryFigure {
  name: string;
  url: string;
  responseRows: number;
  truncated: boolean;
  api: LoadFigure[];
  reference: LoadFigure[];
  referenceSql: string;
}

export interface QueriesResult {
  rows: number;
  scores: number;
  generationSeconds: number;
  generationRowsPerS: number;
  scoresSeconds: number;
  /** OPTIMIZE TABLE … FINAL of the rollups the questions read, after loading (the steady state of background merges). */
  mergeSeconds: number;
  /** One run of the refreshable view finishing the closed hours' quantiles, after the restart. */
  finishSeconds: number;
  /** API total requests (interval=none) vs count() of traces in the same aligned range. */
  check: { apiRequests: number; tracesInRange: number; exact: boolean };
  queries: QueryFigure[];
  /** Peak RSS of the all-in-one process while it answered the API queries. */
  pipelinePeakRssMiB: number;
  /** Peak RSS while it ran the reference scans (bench load on its SQL port). */
  referencePeakRssMiB: number;
  /** Peak RSS while the bench bulk-loaded the traces (INSERT … SELECT of 1 M-row chunks). */
  loadPeakRssMiB: number;
}

/** The reference: the API's question answered from raw rows. */
function referenceSql(name: string, fromMs: number, toMs: number): string {
  const range = (col = 'ts') => `${col} >= fromUnixTimestamp64Milli(${fromMs}, 'UTC') AND ${col} < fromUnixTimestamp64Milli(${toMs}, 'UTC')`;
  const head = 'SELECT toStartOfHour(ts) AS bucket_start, feature, model';
  const tail = 'GROUP BY bucket_start, feature, model ORDER BY bucket_start, feature, model LIMIT 10001 FORMAT JSONEachRow';
  switch (name) {
    case 'cost':
      return `${head}, count() AS requests, countIf(cost_usd IS NULL) AS unpriced, toString(sum(toDecimal128(ifNull(cost_usd, 0), 12))) AS r_cost_usd,
  toString(sum(toDecimal128(ifNull(client_cost_usd, 0), 12))) AS r_client_cost_usd, sum(input_tokens), sum(output_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(reasoning_tokens)
FROM traces WHERE ${range()} ${tail}`;
    case 'latency':
      return `${head}, count() AS requests, avg(latency_ms), max(latency_ms), quantilesTDigest(0.5, 0.9, 0.95, 0.99)(latency_ms),
  quantilesTDigestIf(0.5, 0.9, 0.95, 0.99)(ifNull(time_to_first_token_ms, 0), time_to_first_token_ms IS NOT NULL)
FROM traces WHERE ${range()} ${tail}`;
    case 'errors':
      return `${head}, count() AS requests, countIf(status = 'error') AS errors, errors / requests FROM traces WHERE ${range()} ${tail}`;
    default:
      return `SELECT toStartOfHour(ts) AS bucket_start, feature, model, source, countIf(status = 'ok' AND value IS NOT NULL), avgIf(value, status = 'ok'),
  countIf(status = 'ok' AND passed = 0), countIf(status = 'ok' AND passed IS NOT NULL), countIf(status = 'error')
FROM scores WHERE ${range()} GROUP BY bucket_start, feature, model, source ORDER BY bucket_start, feature, model, source LIMIT 10001 FORMAT JSONEachRow`;
  }
}

/** `clients` concurrent loops of `perClient` calls each; latency per call, errors counted. */
async function load(clients: number, perClient: number, call: () => Promise<boolean>, label: string): Promise<LoadFigure> {
  const latencies: number[] = [];
  let errors = 0;
  let done = 0;
  const total = clients * perClient;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) {
        const t = performance.now();
        const ok = await call().catch(() => false);
        latencies.push(performance.now() - t);
        if (!ok) errors++;
        done++;
        progress(`queries: ${label} ${done}/${total}`);
      }
    }),
  );
  return { clients, latency: summarize(latencies), errors };
}

runSectionMain(async (): Promise<QueriesResult> => {
  const opts = sectionOptions<BenchOptions>();
  const dir = tempDir('bench-queries');
  const [apiPort, chPort] = [await freePort(), await freePort()];
  const startPipeline = () =>
    startNode({
      name: 'all-in-one',
      service: 'all-in-one',
      env: {
        DATA_DIR: join(dir.path, 'data'),
        PORT: String(apiPort),
        CLICKHOUSE_HTTP_PORT: String(chPort),
        CLICKHOUSE_SERVICE_PASSWORD: SERVICE_PASSWORD,
        RATE_LIMIT_PER_MINUTE: '0',
        LOG_LEVEL: 'warn',
      },
    });
  let pipeline = startPipeline();
  const api = `http://127.0.0.1:${apiPort}`;
  const ch: ChTarget = { url: `http://127.0.0.1:${chPort}`, user: SERVICE_USER, password: SERVICE_PASSWORD };
  try {
    progress('queries: starting the pipeline (all-in-one process)', true);
    await pipeline.waitForLog(/is ready/, 180_000);

    const nowMs = Date.now();
    const t0 = performance.now();
    for (let start = 0; start < opts.queryRows; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, opts.queryRows - start);
      await chExec(ch, generateTracesSql(start, count, nowMs, `bench-q-${start}`));
      const secs = (performance.now() - t0) / 1000;
      progress(`queries: generated ${start + count}/${opts.queryRows} traces (${Math.round((start + count) / secs)} rows/s)`, true);
    }
    const generationSeconds = (performance.now() - t0) / 1000;
    const ts = performance.now();
    for (const sql of generateScoresSql()) await chExec(ch, sql);
    const scoresSeconds = (performance.now() - ts) / 1000;
    // Loading 30 days at once leaves one rollup part per chunk; over 30 real days the
    // engine's background merges would have folded them. Fold the hour rollups the
    // dashboard queries read, so they are timed in that steady state.
    progress('queries: merging the hour and dashboard-grain rollups (OPTIMIZE … FINAL)', true);
    const tm = performance.now();
    for (const table of ['traces_1h', 'traces_fm_1h', 'traces_fm_1d']) await chExec(ch, `OPTIMIZE TABLE ${table} FINAL`);
    const mergeSeconds = Math.round((performance.now() - tm) / 10) / 100;
    // Loading 10 M rows in bulk is the bench's doing, not the pipeline's, and the engine
    // keeps what it allocated for it: its peak is reported apart, and the queries run on a
    // restarted process (same DATA_DIR), as they would on a pipeline that has been up.
    const loadPeakRssMiB = pipeline.peakRssMiB();
    progress('queries: restarting the pipeline on the loaded data', true);
    await pipeline.stop('SIGTERM', 60_000);
    pipeline = startPipeline();
    await pipeline.waitForLog(/is ready/, 180_000);
    // A pipeline that has been up a minute has finished the closed hours' quantiles (the
    // refreshable view traces_fm_quantiles_rmv runs every minute): run it now and wait.
    const tf = performance.now();
    await chExec(ch, 'SYSTEM REFRESH VIEW traces_fm_quantiles_rmv');
    await chExec(ch, 'SYSTEM WAIT VIEW traces_fm_quantiles_rmv');
    // …and its background merges have left one row per finished hour and group (the view
    // re-finished hours while the bulk load went on).
    await chExec(ch, 'OPTIMIZE TABLE traces_fm_quantiles FINAL');
    const finishSeconds = Math.round((performance.now() - tf) / 10) / 100;
    const [{ n: scores }] = await chRows<{ n: string }>(ch, 'SELECT count() AS n FROM scores');

    const from = new Date(nowMs - 30 * DAY_MS).toISOString();
    const to = new Date(nowMs).toISOString();
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;

    // Correctness: the rollups hold every generated row of the range.
    const check = await (await fetch(`${api}/v1/metrics/cost?${q}&interval=none&group_by=feature,model`)).json() as { from: string; to: string; rows: { requests: number }[] };
    const apiRequests = check.rows.reduce((s, r) => s + r.requests, 0);
    const [{ n: inRange }] = await chRows<{ n: string }>(
      ch,
      `SELECT count() AS n FROM traces WHERE ts >= parseDateTime64BestEffort('${check.from}', 3, 'UTC') AND ts < parseDateTime64BestEffort('${check.to}', 3, 'UTC')`,
    );

    const defs = [
      { name: 'cost', path: `/v1/metrics/cost?${q}&interval=hour&group_by=feature,model` },
      { name: 'latency', path: `/v1/metrics/latency?${q}&interval=hour&group_by=feature,model` },
      { name: 'errors', path: `/v1/metrics/errors?${q}&interval=hour&group_by=feature,model` },
      { name: 'quality', path: `/v1/metrics/quality?${q}&interval=hour&group_by=feature,model&source=both` },
    ];
    const queries: QueryFigure[] = [];
    // Peak RSS of the process while it answered the API's queries, and apart from that
    // while it ran the reference scans (32 concurrent raw scans are the bench's load).
    let apiPeakRssMiB = 0;
    let referencePeakRssMiB = 0;
    // Every API question first, then every reference scan: the engine keeps memory it
    // allocated for a raw scan, and that must not count as the API's.
    const measured: { def: (typeof defs)[number]; body: { rows?: unknown[]; truncated?: boolean }; api: LoadFigure[] }[] = [];
    pipeline.resetPeakRss();
    for (const def of defs) {
      const first = await fetch(`${api}${def.path}`);
      const body = (await first.json()) as { rows?: unknown[]; truncated?: boolean; message?: string };
      if (first.status !== 200) throw new Error(`${def.path} answered ${first.status}: ${JSON.stringify(body).slice(0, 300)}`);
      const call = async () => {
        const res = await fetch(`${api}${def.path}`);
        await res.arrayBuffer();
        return res.status === 200;
      };
      await call(); // warm
      const api1 = await load(1, opts.queryIterations, call, `${def.name} API, 1 client`);
      const api32 = await load(32, Math.max(1, Math.ceil((opts.queryIterations * 3) / 32)), call, `${def.name} API, 32 clients`);
      measured.push({ def, body, api: [api1, api32] });
    }
    apiPeakRssMiB = pipeline.peakRssMiB();
    pipeline.resetPeakRss();
    for (const { def, body, api: apiLoads } of measured) {
      const sql = referenceSql(def.name, nowMs - 30 * DAY_MS, nowMs);
      const ref = async () => {
        await chExec(ch, sql);
        return true;
      };
      await ref();
      const ref1 = await load(1, opts.referenceIterations, ref, `${def.name} reference scan, 1 client`);
      const ref32 = await load(32, 1, ref, `${def.name} reference scan, 32 clients`);
      queries.push({ name: def.name, url: def.path, responseRows: body.rows?.length ?? 0, truncated: body.truncated ?? false, api: apiLoads, reference: [ref1, ref32], referenceSql: sql.replace(/\s+/g, ' ') });
    }
    referencePeakRssMiB = pipeline.peakRssMiB();
    return {
      rows: opts.queryRows,
      scores: Number(scores),
      generationSeconds: Math.round(generationSeconds * 100) / 100,
      generationRowsPerS: Math.round(opts.queryRows / generationSeconds),
      scoresSeconds: Math.round(scoresSeconds * 100) / 100,
      mergeSeconds,
      finishSeconds,
      check: { apiRequests, tracesInRange: Number(inRange), exact: apiRequests === Number(inRange) && Number(inRange) === opts.queryRows },
      queries,
      pipelinePeakRssMiB: apiPeakRssMiB,
      loadPeakRssMiB,
      referencePeakRssMiB,
    };
  } finally {
    await pipeline.stop('SIGTERM', 30_000);
    dir.cleanup();
  }
});

/**
 * Section 1 — the limit: the embedded engine's own bulk-insert rate for the rows the
 * pipeline produces, in this process on its own DATA_DIR (chDB binds one per process).
 *  (b) raw bulk insert: @clickhouse/client on chDB, JSONEachRow bodies serialized
 *      beforehand, batches of --insert-batch rows, the writer's INSERT settings;
 *  (a) INSERT INTO traces SELECT * FROM a staging MergeTree holding the same rows.
 * Both fire the rollup materialized views; counts are checked exactly.
 */
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadAvroRegistry } from '../../services/core/codec/avro-registry.ts';
import { loadConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createEmbeddedClient } from '../../services/core/store/clients.ts';
import { migrate, pricerFromConfig } from '../../services/core/wiring.ts';
import { tempDir } from '../../test/helpers/temp-dir.ts';
import type { BenchOptions } from './args.ts';
import { benchEvents, traceRowFor } from './events.ts';
import { procMemory, progress, runSectionMain, sectionOptions } from './proc.ts';

export interface LimitResult {
  rows: number;
  insertBatch: number;
  avgRowBytes: number;
  buildSeconds: number;
  raw: { seconds: number; rowsPerS: number; exact: boolean; counts: Counts };
  insertSelect: { seconds: number; rowsPerS: number; exact: boolean; counts: Counts };
  peakRssMiB: number;
}

interface Counts {
  traces: number;
  rollup1m: number;
  rollup1h: number;
}

const WRITER_SETTINGS = 'deduplicate_blocks_in_dependent_materialized_views = 1, date_time_input_format = \'best_effort\'';

async function counts(client: ClickHouseClient): Promise<Counts> {
  const rs = await client.query({
    query: 'SELECT (SELECT count() FROM traces) AS t, (SELECT sum(requests) FROM traces_1m) AS m, (SELECT sum(requests) FROM traces_1h) AS h',
    format: 'JSONEachRow',
  });
  const [r] = await rs.json<{ t: string; m: string; h: string }>();
  return { traces: Number(r.t), rollup1m: Number(r.m), rollup1h: Number(r.h) };
}

async function truncateAll(client: ClickHouseClient): Promise<void> {
  for (const t of ['traces', 'traces_1m', 'traces_1h', 'unpriced_models']) await client.command({ query: `TRUNCATE TABLE ${t}` });
}

runSectionMain(async (): Promise<LimitResult> => {
  const opts = sectionOptions<BenchOptions>();
  const dir = tempDir('bench-limit');
  const config = loadConfig({ DATA_DIR: dir.path });
  const log = createLogger({ level: 'warn' });
  const client = createEmbeddedClient({ dataDir: dir.path });
  const store = createClickHouseStore({ client, log, embedded: true });
  try {
    await migrate(store, config, log);
    const registry = loadAvroRegistry();
    const pricer = pricerFromConfig(config);

    // The rows of the events section 2 sends (same generator and seed), built by the
    // pipeline's functions and serialized as the writer's store does, before the clock.
    const t0 = performance.now();
    const bodies: Buffer[] = [];
    let lines: string[] = [];
    let bytes = 0;
    let i = 0;
    for (const e of benchEvents(opts.rows, { seed: opts.seed, idPrefix: 'limit' })) {
      lines.push(JSON.stringify(traceRowFor(registry, pricer, e, i++)));
      if (lines.length === opts.insertBatch || i === opts.rows) {
        const body = Buffer.from(`${lines.join('\n')}\n`);
        bytes += body.length;
        bodies.push(body);
        lines = [];
        progress(`limit: building rows ${i}/${opts.rows}`);
      }
    }
    const buildSeconds = (performance.now() - t0) / 1000;

    // (b) raw bulk insert through @clickhouse/client.
    let done = 0;
    const tb = performance.now();
    for (let b = 0; b < bodies.length; b++) {
      const res = await client.exec({
        query: `INSERT INTO traces SETTINGS insert_deduplication_token = 'bench-limit-b-${b}', ${WRITER_SETTINGS} FORMAT JSONEachRow`,
        values: Readable.from([bodies[b]]),
      });
      for await (const _ of res.stream) {
        /* drain */
      }
      done += Math.min(opts.insertBatch, opts.rows - b * opts.insertBatch);
      const secs = (performance.now() - tb) / 1000;
      progress(`limit (b) raw insert: ${done}/${opts.rows} rows, ${Math.round(done / secs)} rows/s`);
    }
    const rawSeconds = (performance.now() - tb) / 1000;
    const rawCounts = await counts(client);
    bodies.length = 0;

    // (a) INSERT … SELECT from a staging table holding the same rows.
    progress('limit (a): staging the rows', true);
    await client.command({ query: 'DROP TABLE IF EXISTS bench_staging' });
    await client.command({ query: 'CREATE TABLE bench_staging AS traces ENGINE = MergeTree ORDER BY tuple()' });
    await client.command({ query: 'INSERT INTO bench_staging SELECT * FROM traces' });
    await truncateAll(client);
    progress('limit (a): INSERT INTO traces SELECT * FROM bench_staging', true);
    const ta = performance.now();
    await client.command({
      query: `INSERT INTO traces SETTINGS insert_deduplication_token = 'bench-limit-a', ${WRITER_SETTINGS} SELECT * FROM bench_staging`,
    });
    const selectSeconds = (performance.now() - ta) / 1000;
    const selectCounts = await counts(client);
    const exact = (c: Counts) => c.traces === opts.rows && c.rollup1m === opts.rows && c.rollup1h === opts.rows;
    return {
      rows: opts.rows,
      insertBatch: opts.insertBatch,
      avgRowBytes: Math.round(bytes / opts.rows),
      buildSeconds: round2(buildSeconds),
      raw: { seconds: round2(rawSeconds), rowsPerS: Math.round(opts.rows / rawSeconds), exact: exact(rawCounts), counts: rawCounts },
      insertSelect: { seconds: round2(selectSeconds), rowsPerS: Math.round(opts.rows / selectSeconds), exact: exact(selectCounts), counts: selectCounts },
      peakRssMiB: procMemory('self')?.peakRssMiB ?? 0,
    };
  } finally {
    await store.close().catch(() => {});
    dir.cleanup();
  }
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

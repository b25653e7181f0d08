import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DAY_MS } from '../../services/core/time.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createEmbeddedClient } from '../../services/core/store/clients.ts';
import { applyMigrations } from '../../services/core/store/migrations.ts';
import type { Store } from '../../services/core/store/store.ts';
import { buildFixtures, fixtureBase, toRow } from '../support/query/known-traces.ts';
import { MIGRATIONS_DIR, TEST_TTL_VARS } from '../support/query/test-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Upgrading moves the rollups' data (008_rollups_bucket_first.sql): a store built with the
 * schema before it, holding traces over several days, is migrated, and every rollup then
 * answers what the old one answered, row for row (the old tables' states are copied as
 * they are); the new (bucket, feature, model) hourly and daily rollups hold the same
 * totals; the views feed the new tables; and the file re-run (after a crash, or by a
 * second process) never copies twice, also when it stopped half-way.
 */
const SCHEMAS = MIGRATIONS_DIR;
const VARS = TEST_TTL_VARS;
const log = silentLogger();
const SUMS = `sum(requests) AS n, sum(errors) AS e, sum(unpriced) AS u, sum(input_tokens_sum) AS it, sum(output_tokens_sum) AS ot,
  sum(cached_input_tokens_sum) AS ct, sum(cache_write_tokens_sum) AS wt, sum(reasoning_tokens_sum) AS rt,
  toString(sum(cost_usd_sum)) AS c, toString(sum(client_cost_usd_sum)) AS cc, sum(latency_ms_sum) AS ls, max(latency_ms_max) AS lm`;
const QUANTILES = `quantilesTDigestMerge(0.5, 0.9, 0.95, 0.99)(latency_q) AS lq, quantilesTDigestIfMerge(0.5, 0.9, 0.95, 0.99)(ttft_q) AS tq`;

const data = tempDir('rollup-migration-data');
const oldSchema = tempDir('rollup-migration-schema');
let store: Store;

/** Every row of a rollup by its full key, with its sums and finished quantiles. */
const full = (table: string) =>
  store.query(`SELECT bucket, feature, model, prompt_version, environment, ${SUMS}, ${QUANTILES} FROM ${table}
    GROUP BY bucket, feature, model, prompt_version, environment ORDER BY bucket, feature, model, prompt_version, environment`);
/** Sums per (bucket, feature, model), the bucket cut by `bucket`. */
const byFeatureModel = (table: string, bucket = 'bucket') =>
  store.query(`SELECT ${bucket} AS b, feature, model, ${SUMS} FROM ${table} GROUP BY b, feature, model ORDER BY b, feature, model`);
const total = async (table: string) => Number((await store.query<{ n: string }>(`SELECT sum(requests) AS n FROM ${table}`))[0]!.n);

const ROLLUPS = ['traces_1m', 'traces_1h', 'traces_fm_1h', 'traces_fm_1d'];

function tracesAt(base: number, tag: string): Record<string, unknown>[] {
  return buildFixtures(base).map((t) => toRow({ ...t, trace_id: `${tag}-${t.trace_id}` }));
}

before(async () => {
  for (const f of readdirSync(SCHEMAS)) if (f.endsWith('.sql') && (Number(f.slice(0, 3)) < 8 || f.startsWith('020_'))) copyFileSync(join(SCHEMAS, f), join(oldSchema.path, f));
  store = createClickHouseStore({ client: createEmbeddedClient({ dataDir: data.path }), log, embedded: true });
});

after(async () => {
  await store.close();
  data.cleanup();
  oldSchema.cleanup();
});

describe('upgrading to the bucket-first rollups', () => {
  let before1m: unknown[];
  let before1h: unknown[];
  let rows = 0;

  it('the old schema, with traces over four days', async () => {
    const old = await applyMigrations(store, { dir: oldSchema.path, vars: VARS, log });
    assert.ok(!old.applied.some((f) => f.startsWith('008')));
    const [{ k }] = await store.query<{ k: string }>("SELECT sorting_key AS k FROM system.tables WHERE database = currentDatabase() AND name = 'traces_1h'");
    assert.match(k, /^feature/, 'the old layout');
    const base = fixtureBase();
    for (const [i, days] of [0, 1, 2, 4].entries()) {
      const batch = tracesAt(base - days * DAY_MS, `d${i}`);
      await store.insert('traces', batch);
      rows += batch.length;
    }
    before1m = await full('traces_1m');
    before1h = await full('traces_1h');
    assert.equal(await total('traces_1h'), rows);
  });

  it('migrates: the old rollups answer the same, row for row; the new ones hold the same totals', async () => {
    const r = await applyMigrations(store, { dir: SCHEMAS, vars: VARS, log });
    assert.ok(r.applied.includes('008_rollups_bucket_first.sql'), JSON.stringify(r));
    const keys = await store.query<{ name: string; k: string }>(
      "SELECT name, sorting_key AS k FROM system.tables WHERE database = currentDatabase() AND name IN ('traces_1m', 'traces_1h', 'traces_fm_1h', 'traces_fm_1d') ORDER BY name",
    );
    for (const { name, k } of keys) assert.match(k, /^bucket, feature, model/, name);
    assert.equal(keys.length, 4);
    assert.deepEqual(await full('traces_1m'), before1m);
    assert.deepEqual(await full('traces_1h'), before1h);
    assert.deepEqual(await byFeatureModel('traces_fm_1h'), await byFeatureModel('traces_1h'));
    assert.deepEqual(await byFeatureModel('traces_fm_1d'), await byFeatureModel('traces_1h', 'toStartOfDay(bucket)'));
    for (const t of ROLLUPS) assert.equal(await total(t), rows, t);
  });

  it('the upgraded history gets finished quantiles, equal to merging its states', async () => {
    await store.command('SYSTEM REFRESH VIEW traces_fm_quantiles_rmv');
    await store.command('SYSTEM WAIT VIEW traces_fm_quantiles_rmv');
    const finished = await store.query(`SELECT bucket, feature, model, argMax(requests, computed_at) AS n, argMax(latency_q, computed_at) AS lq, argMax(ttft_q, computed_at) AS tq
      FROM traces_fm_quantiles GROUP BY bucket, feature, model ORDER BY bucket, feature, model`);
    const merged = await store.query(`SELECT bucket, feature, model, sum(requests) AS n, ${QUANTILES} FROM traces_fm_1h
      WHERE bucket < toStartOfHour(now()) GROUP BY bucket, feature, model ORDER BY bucket, feature, model`);
    assert.ok(merged.length > 0);
    assert.deepEqual(finished, merged);
  });

  it('new traces reach every rollup through the re-created views', async () => {
    const batch = tracesAt(fixtureBase() - 3 * DAY_MS, 'after');
    await store.insert('traces', batch);
    rows += batch.length;
    for (const t of ROLLUPS) assert.equal(await total(t), rows, t);
  });

  it('re-running the file, also from half-way, copies nothing twice', async () => {
    const snapshot = async () => Promise.all([full('traces_1m'), full('traces_1h'), byFeatureModel('traces_fm_1h'), byFeatureModel('traces_fm_1d')]);
    const was = await snapshot();
    // As if the process had died after building traces_fm_1h: traces_fm_1d not there yet.
    await store.command('DROP VIEW traces_fm_1d_mv');
    await store.command('DROP TABLE traces_fm_1d');
    await store.command('DELETE FROM schema_migrations WHERE version = 8');
    const r = await applyMigrations(store, { dir: SCHEMAS, vars: VARS, log });
    assert.deepEqual(r.applied, ['008_rollups_bucket_first.sql']);
    assert.deepEqual(await snapshot(), was);
    for (const t of ROLLUPS) assert.equal(await total(t), rows, t);
  });
});

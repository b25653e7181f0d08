import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createEmbeddedClient } from '../../services/core/store/clients.ts';
import { applyMigrations } from '../../services/core/store/migrations.ts';
import type { Store } from '../../services/core/store/store.ts';
import { buildFixtures, fixtureBase, toRow } from '../support/query/known-traces.ts';
import { MIGRATIONS_DIR, TEST_TTL_VARS } from '../support/query/test-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Upgrading to spans (013_spans.sql): a store with calls stored before it keeps every
 * row and every rollup total; those rows read as LLM spans with no span id; the key
 * becomes (day, trace_id, span_id) so two spans of one trace are two rows after merges;
 * the rollup views count LLM and embedding spans only; a re-run changes nothing.
 */
const log = silentLogger();
const data = tempDir('span-migration-data');
const before013 = tempDir('span-migration-schema');
let store: Store;
const ROLLUPS = ['traces_1m', 'traces_1h', 'traces_fm_1h', 'traces_fm_1d'];
const totals = async () =>
  Object.fromEntries(await Promise.all(ROLLUPS.map(async (t) => [t, Number((await store.query<{ n: string }>(`SELECT sum(requests) AS n FROM ${t}`))[0]!.n)])));

before(async () => {
  for (const f of readdirSync(MIGRATIONS_DIR)) if (f.endsWith('.sql') && Number(f.slice(0, 3)) < 13) copyFileSync(join(MIGRATIONS_DIR, f), join(before013.path, f));
  store = createClickHouseStore({ client: createEmbeddedClient({ dataDir: data.path }), log, embedded: true });
});
after(async () => {
  await store.close();
  data.cleanup();
  before013.cleanup();
});

describe('migration 013: spans', () => {
  let stored = 0;
  it('upgrades a store holding calls: nothing lost, old rows are LLM spans', async () => {
    await applyMigrations(store, { dir: before013.path, vars: TEST_TTL_VARS, log });
    const rows = buildFixtures(fixtureBase()).map((t) => toRow(t));
    for (const r of rows) {
      delete r.span_id;
      delete r.parent_span_id;
      delete r.span_kind;
      delete r.span_name;
    }
    await store.insert('traces', rows);
    stored = rows.length;
    const beforeTotals = await totals();

    const result = await applyMigrations(store, { dir: MIGRATIONS_DIR, vars: TEST_TTL_VARS, log });
    assert.ok(result.applied.includes('013_spans.sql'));
    const [t] = await store.query<{ sorting_key: string }>("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'traces'");
    assert.equal(t.sorting_key, 'toDate(ts), trace_id, span_id');
    assert.deepEqual(await totals(), beforeTotals);
    const [k] = await store.query<{ n: string; llm: string; no_span: string }>(
      "SELECT count() AS n, countIf(span_kind = 'llm') AS llm, countIf(span_id = '' AND parent_span_id = '' AND span_name = '') AS no_span FROM traces",
    );
    assert.deepEqual([Number(k.n), Number(k.llm), Number(k.no_span)], [stored, stored, stored]);
  });

  it('a re-run (after a crash, or a second process) is a no-op', async () => {
    await store.command("ALTER TABLE schema_migrations DELETE WHERE version = 13 SETTINGS mutations_sync = 2");
    const again = await applyMigrations(store, { dir: MIGRATIONS_DIR, vars: TEST_TTL_VARS, log });
    assert.deepEqual(again.applied, ['013_spans.sql']);
    const [t] = await store.query<{ sorting_key: string }>("SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'traces'");
    assert.equal(t.sorting_key, 'toDate(ts), trace_id, span_id');
  });

  it('spans of one trace stay apart after merges; only LLM and embedding spans reach the rollups', async () => {
    const before = await totals();
    const [u0] = await store.query<{ n: string }>('SELECT sum(events) AS n FROM unpriced_models');
    const base = { ...buildFixtures(fixtureBase())[0], trace_id: 'tree-1' };
    const span = (span_id: string, parent: string, kind: string, model: string) => ({ ...toRow(base), span_id, parent_span_id: parent, span_kind: kind, span_name: kind, model, cost_usd: null });
    await store.insert('traces', [span('a1', '', 'agent', ''), span('l1', 'a1', 'llm', 'mystery-model'), span('t1', 'a1', 'tool', ''), span('e1', 'a1', 'embedding', 'mystery-embed')]);
    await store.command('OPTIMIZE TABLE traces FINAL');
    const [n] = await store.query<{ n: string }>("SELECT count() AS n FROM traces FINAL WHERE trace_id = 'tree-1'");
    assert.equal(Number(n.n), 4, 'four spans, not collapsed into one');
    const after = await totals();
    for (const t of ROLLUPS) assert.equal(after[t] - before[t], 2, `${t}: the llm and the embedding span`);
    const [u1] = await store.query<{ n: string }>('SELECT sum(events) AS n FROM unpriced_models');
    assert.equal(Number(u1.n) - Number(u0.n), 2, 'an agent or tool span is not an unpriced model call');
  });
});

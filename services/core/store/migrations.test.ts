import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { createClickHouseStore } from './clickhouse-store.ts';
import { createEmbeddedClient } from './clients.ts';
import { applyMigrations, loadMigrations, splitStatements, substituteVars } from './migrations.ts';
import type { Store } from './store.ts';

describe('migration files', () => {
  test('splitStatements: `;` at the end of a line separates; comment lines are dropped', () => {
    const text = [
      '-- a comment; with a semicolon;',
      'CREATE TABLE a (x String DEFAULT \';\') ENGINE = Memory;',
      '',
      'CREATE TABLE b',
      '(',
      '    x UInt8 -- trailing comment',
      ') ENGINE = Memory;   ',
      '-- only a comment;',
      'SELECT 1; SELECT 2',
    ].join('\n');
    assert.deepEqual(splitStatements(text), [
      "CREATE TABLE a (x String DEFAULT ';') ENGINE = Memory",
      'CREATE TABLE b\n(\n    x UInt8 -- trailing comment\n) ENGINE = Memory',
      'SELECT 1; SELECT 2',
    ]);
    assert.deepEqual(splitStatements('-- nothing\n\n'), []);
  });

  test('substituteVars: numbers and identifiers only; a missing variable is named', () => {
    assert.equal(substituteVars('TTL ts + INTERVAL {{DAYS}} DAY, {{ DB }}.t', { DAYS: 30, DB: 'analytics' }, 'f.sql'), 'TTL ts + INTERVAL 30 DAY, analytics.t');
    assert.throws(
      () => substituteVars('{{DAYS}} {{MISSING}}', { DAYS: 1 }, '001_x.sql'),
      (e: unknown) => e instanceof PipelineError && e.code === ErrorCodes.CONFIG_INVALID && /001_x\.sql/.test(e.message) && /\{\{MISSING\}\}/.test(e.message),
    );
    for (const bad of ['1; DROP TABLE x', "'quoted'", '1 DAY', '', Number.NaN]) {
      assert.throws(() => substituteVars('{{V}}', { V: bad }, 'f.sql'), (e: unknown) => e instanceof PipelineError && /\{\{V\}\}/.test(e.message), String(bad));
    }
  });

  test('loadMigrations: numeric version order; bad names and duplicate versions are refused', () => {
    const d = tempDir('migr-load');
    try {
      writeFileSync(join(d.path, '10_ten.sql'), 'SELECT 10;');
      writeFileSync(join(d.path, '2_two.sql'), 'SELECT 2;');
      writeFileSync(join(d.path, 'README.md'), 'not sql');
      assert.deepEqual(
        loadMigrations(d.path, {}).map((m) => [m.version, m.name]),
        [
          [2, 'two'],
          [10, 'ten'],
        ],
      );
      writeFileSync(join(d.path, '002_again.sql'), 'SELECT 2;');
      assert.throws(() => loadMigrations(d.path, {}), /same version 2/);
      rmSync(join(d.path, '002_again.sql'));
      writeFileSync(join(d.path, 'oops.sql'), 'SELECT 1;');
      assert.throws(() => loadMigrations(d.path, {}), /oops\.sql/);
    } finally {
      d.cleanup();
    }
  });
});

describe('applyMigrations on the embedded engine', () => {
  const data = tempDir('migr-data');
  const files = tempDir('migr-files');
  let store: Store;
  const log = silentLogger();
  const vars = { TTL_DAYS: 30, ENGINE: 'MergeTree' };
  const write = (name: string, text: string) => writeFileSync(join(files.path, name), text);

  before(() => {
    mkdirSync(files.path, { recursive: true });
    store = createClickHouseStore({ client: createEmbeddedClient({ dataDir: data.path }), log, embedded: true });
  });
  after(async () => {
    await store.close();
    data.cleanup();
    files.cleanup();
  });

  test('applies files in order, several statements each, once', async () => {
    write(
      '001_events.sql',
      `-- events
CREATE TABLE IF NOT EXISTS m_events
(
    ts DateTime('UTC'),
    id UInt32
)
ENGINE = {{ENGINE}}
ORDER BY id
TTL ts + INTERVAL {{TTL_DAYS}} DAY
SETTINGS non_replicated_deduplication_window = 100;

CREATE TABLE IF NOT EXISTS m_counts (n UInt64) ENGINE = SummingMergeTree ORDER BY tuple();
`,
    );
    write('002_view.sql', 'CREATE MATERIALIZED VIEW IF NOT EXISTS m_counts_mv TO m_counts AS SELECT count() AS n FROM m_events;\n');
    const r1 = await applyMigrations(store, { dir: files.path, vars, log });
    assert.deepEqual(r1, { applied: ['001_events.sql', '002_view.sql'], skipped: [] });
    const [ddl] = await store.query<{ q: string }>("SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'm_events'");
    assert.match(ddl!.q, /toIntervalDay\(30\)|INTERVAL 30 DAY/);
    await store.insert('m_events', [{ ts: '2024-01-01 00:00:00', id: 1 }]);
    assert.deepEqual(await store.query('SELECT sum(n) AS n FROM m_counts'), [{ n: '1' }]);

    const r2 = await applyMigrations(store, { dir: files.path, vars, log });
    assert.deepEqual(r2, { applied: [], skipped: ['001_events.sql', '002_view.sql'] });
    const recorded = await store.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations FINAL ORDER BY version');
    assert.deepEqual(recorded, [
      { version: 1, name: 'events' },
      { version: 2, name: 'view' },
    ]);
  });

  test('a new file later: only it is applied', async () => {
    write('003_column.sql', 'ALTER TABLE m_events ADD COLUMN IF NOT EXISTS note String DEFAULT \'\';\n');
    const r = await applyMigrations(store, { dir: files.path, vars, log });
    assert.deepEqual(r, { applied: ['003_column.sql'], skipped: ['001_events.sql', '002_view.sql'] });
    const cols = await store.query<{ name: string }>("SELECT name FROM system.columns WHERE database = currentDatabase() AND table = 'm_events' ORDER BY position");
    assert.deepEqual(cols.map((c) => c.name), ['ts', 'id', 'note']);
  });

  test('a failure mid-file is not recorded; the fixed file re-runs safely', async () => {
    write('004_half.sql', 'CREATE TABLE IF NOT EXISTS m_half (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE m_broken (;\n');
    await assert.rejects(applyMigrations(store, { dir: files.path, vars, log }), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.code, ErrorCodes.STORE_QUERY_FAILED);
      assert.equal(e.chCode, 62);
      assert.match(e.message, /004_half\.sql, statement 2/);
      return true;
    });
    const rec = await store.query('SELECT version FROM schema_migrations FINAL WHERE version = 4');
    assert.deepEqual(rec, []);
    write('004_half.sql', 'CREATE TABLE IF NOT EXISTS m_half (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE IF NOT EXISTS m_fixed (x UInt8) ENGINE = MergeTree ORDER BY x;\n');
    const r = await applyMigrations(store, { dir: files.path, vars, log });
    assert.deepEqual(r.applied, ['004_half.sql']);
    assert.deepEqual(await store.query("SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN ('m_half', 'm_fixed') ORDER BY name"), [{ name: 'm_fixed' }, { name: 'm_half' }]);
  });

  test('-- @if guards: a statement runs only while its queries answer 1', async () => {
    write(
      '006_guarded.sql',
      `CREATE TABLE IF NOT EXISTS m_guarded (x UInt8) ENGINE = MergeTree ORDER BY x;
-- @if SELECT count() = 0 FROM m_guarded
INSERT INTO m_guarded VALUES (1);
-- @if SELECT 1
-- @if SELECT 0
INSERT INTO m_guarded VALUES (2);
`,
    );
    assert.deepEqual(
      loadMigrations(files.path, vars).find((m) => m.version === 6)!.statements.map((s) => s.guards),
      [[], ['SELECT count() = 0 FROM m_guarded'], ['SELECT 1', 'SELECT 0']],
    );
    await applyMigrations(store, { dir: files.path, vars, log });
    await store.command('DELETE FROM schema_migrations WHERE version = 6');
    await applyMigrations(store, { dir: files.path, vars, log });
    assert.deepEqual(await store.query('SELECT x FROM m_guarded ORDER BY x'), [{ x: 1 }], 'inserted once, and never the statement whose guard fails');
    rmSync(join(files.path, '006_guarded.sql'));
  });

  test('a missing variable names the file and the variable, and applies nothing', async () => {
    write('005_vars.sql', 'CREATE TABLE IF NOT EXISTS m_vars (x UInt8) ENGINE = MergeTree ORDER BY x TTL now() + INTERVAL {{NOPE}} DAY;\n');
    await assert.rejects(applyMigrations(store, { dir: files.path, vars, log }), (e: unknown) => {
      assert.ok(e instanceof PipelineError);
      assert.equal(e.code, ErrorCodes.CONFIG_INVALID);
      assert.match(e.message, /005_vars\.sql/);
      assert.match(e.message, /\{\{NOPE\}\}/);
      return true;
    });
    rmSync(join(files.path, '005_vars.sql'));
  });
});

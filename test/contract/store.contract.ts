/**
 * The Store contract: every Store adapter passes this suite unchanged
 * (test/contract/store-embedded.test.ts, test/contract/store-http.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, PipelineError } from '../../services/core/errors.ts';
import type { Store } from '../../services/core/store/store.ts';

let seq = 0;
/** A table name unique within the run. */
export function uniqueTable(base: string): string {
  seq++;
  return `${base}_${process.pid}_${seq}_${Math.random().toString(36).slice(2, 7)}`;
}

async function count(store: Store, table: string): Promise<number> {
  const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${table}`);
  return Number(rows[0]!.n);
}

async function assertStoreError(
  p: Promise<unknown>,
  expected: { code: string; retryable: boolean; chCode?: number; chType?: string },
): Promise<PipelineError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof PipelineError, `expected a PipelineError, got ${String(caught)}`);
  assert.equal(caught.code, expected.code);
  assert.equal(caught.retryable, expected.retryable);
  if (expected.chCode !== undefined) assert.equal(caught.chCode, expected.chCode, caught.message);
  if (expected.chType !== undefined) assert.equal(caught.chType, expected.chType, caught.message);
  return caught;
}

export const HOSTILE_STRINGS: readonly string[] = [
  "'; DROP TABLE {canary}; --",
  "Robert'); DROP TABLE {canary};--",
  `"double" 'single' \`back\` ''doubled''`,
  'back\\slash \\\' \\n \\t \\\\ trailing\\',
  'tab\tnewline\ncarriage\rend',
  'unicode: héllo wörld 🌍 中文 ∑ — ﬁ',
  '{curly:String} $$heredoc$$ /* comment */ -- dash',
  'nul\u0000byte',
  '',
];

export function runStoreContract(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await store.close();
    });

    test('ping', async () => {
      assert.equal(await store.ping(), true);
    });

    test('create a table, insert, read back', async () => {
      const t = uniqueTable('basic');
      await store.command(`CREATE TABLE ${t} (id UInt32, name String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`);
      await store.insert(t, [
        { id: 2, name: 'two' },
        { id: 1, name: 'one' },
        { id: 3, name: 'three' },
      ]);
      // insert resolves when the rows are in: readable at once
      const rows = await store.query<{ id: number; name: string }>(`SELECT id, name FROM ${t} ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 1, name: 'one' },
        { id: 2, name: 'two' },
        { id: 3, name: 'three' },
      ]);
      await store.insert(t, []); // no rows: no-op
      assert.equal(await count(store, t), 3);
    });

    test('types: DateTime64, Decimal(18,12) exact sums, Nullable, Map, LowCardinality, UInt64', async () => {
      const t = uniqueTable('types');
      await store.command(`CREATE TABLE ${t}
        (
          id    UInt32,
          ts    DateTime64(3, 'UTC'),
          cost  Decimal(18, 12),
          note  Nullable(String),
          meta  Map(String, String),
          model LowCardinality(String),
          big   UInt64,
          f     Float64
        )
        ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`);
      await store.insert(t, [
        { id: 1, ts: '2024-05-06 07:08:09.123', cost: '123456.123456789012', note: null, meta: { a: '1', 'k"q': 'v\'s' }, model: 'gpt-4o', big: '18446744073709551615', f: 1.5 },
        { id: 2, ts: new Date('2024-05-06T07:08:09.456Z'), cost: '0.1', note: 'hello', meta: {}, model: 'claude', big: 9007199254740993n, f: -0.25 },
        { id: 3, ts: '2024-05-06T07:08:09.789Z', cost: '0.000000000001', note: '', meta: new Map([['x', '']]), model: 'gpt-4o', big: 0, f: 0 },
      ]);
      const rows = await store.query(`SELECT id, ts, cost, note, meta, model, big, f, toTypeName(model) AS model_type FROM ${t} ORDER BY id`);
      assert.deepEqual(rows, [
        { id: 1, ts: '2024-05-06 07:08:09.123', cost: '123456.123456789012', note: null, meta: { a: '1', 'k"q': 'v\'s' }, model: 'gpt-4o', big: '18446744073709551615', f: 1.5, model_type: 'LowCardinality(String)' },
        { id: 2, ts: '2024-05-06 07:08:09.456', cost: '0.1', note: 'hello', meta: {}, model: 'claude', big: '9007199254740993', f: -0.25, model_type: 'LowCardinality(String)' },
        { id: 3, ts: '2024-05-06 07:08:09.789', cost: '0.000000000001', note: '', meta: { x: '' }, model: 'gpt-4o', big: '0', f: 0, model_type: 'LowCardinality(String)' },
      ]);
      // 123456.123456789012 + 0.1 + 0.000000000001: a double would give 123456.22345678901
      const [sum] = await store.query<{ total: string; n: string }>(`SELECT sum(cost) AS total, count() AS n FROM ${t}`);
      assert.deepEqual(sum, { total: '123456.223456789013', n: '3' });
      const [byModel] = await store.query<{ total: string }>(`SELECT sum(cost) AS total FROM ${t} WHERE model = {m:String} AND ts >= {from:DateTime64(3, 'UTC')}`, {
        m: 'gpt-4o',
        from: '2024-05-06 07:08:09.123',
      });
      assert.equal(byModel!.total, '123456.123456789013');
    });

    test('queryJsonLines: the JSONEachRow text as written, 64-bit integers as numbers, and query() still quotes them after it', async () => {
      const text = await store.queryJsonLines(
        "SELECT number AS n, toUInt64(number) * 1000000 AS big, toString(number) AS s, {p:String} AS p FROM numbers(3) ORDER BY n",
        { p: 'a\nb' },
      );
      const lines = text.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 3);
      assert.deepEqual(lines.map((l) => JSON.parse(l)), [0, 1, 2].map((n) => ({ n, big: n * 1_000_000, s: String(n), p: 'a\nb' })));
      const [row] = await store.query<{ big: unknown }>('SELECT toUInt64(5) AS big');
      assert.equal(row!.big, '5');
    });

    test('parameters are bound, never executed: hostile strings come back verbatim', async () => {
      const canary = uniqueTable('canary');
      await store.command(`CREATE TABLE ${canary} (v String) ENGINE = MergeTree ORDER BY v`);
      const hostile = HOSTILE_STRINGS.map((s) => s.replaceAll('{canary}', canary));
      for (const s of hostile) {
        const rows = await store.query<{ s: string; n: string }>('SELECT {s:String} AS s, length({s:String}) AS n', { s });
        assert.deepEqual(rows, [{ s, n: String(Buffer.byteLength(s, 'utf8')) }], JSON.stringify(s));
      }
      const [arr] = await store.query<{ a: string[] }>('SELECT {a:Array(String)} AS a', { a: hostile });
      assert.deepEqual(arr!.a, hostile);
      // as data, and as a filter
      await store.insert(canary, hostile.map((v) => ({ v })));
      for (const s of hostile) {
        const rows = await store.query<{ n: string }>(`SELECT count() AS n FROM ${canary} WHERE v = {v:String}`, { v: s });
        assert.equal(rows[0]!.n, '1', JSON.stringify(s));
      }
      const back = await store.query<{ v: string }>(`SELECT v FROM ${canary} ORDER BY v`);
      assert.deepEqual(back.map((r) => r.v), [...hostile].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      // the canary table is still there
      assert.equal(await count(store, canary), hostile.length);
      // numbers, arrays and dates bind too
      const [mixed] = await store.query<{ n: string; a: number[]; d: string }>('SELECT {n:UInt64} AS n, {a:Array(UInt8)} AS a, {d:DateTime(\'UTC\')} AS d', {
        n: 18446744073709551615n,
        a: [1, 2, 3],
        d: '2024-01-02 03:04:05',
      });
      assert.deepEqual(mixed, { n: '18446744073709551615', a: [1, 2, 3], d: '2024-01-02 03:04:05' });
      // Dates keep their milliseconds
      const ts = new Date('2024-05-06T07:08:09.456Z');
      const [dates] = await store.query<{ d64: string; d: string; arr: string[] }>(
        "SELECT {d64:DateTime64(3, 'UTC')} AS d64, {d:DateTime('UTC')} AS d, {arr:Array(DateTime64(3, 'UTC'))} AS arr",
        { d64: ts, d: new Date('2024-05-06T07:08:09Z'), arr: [ts, new Date('2024-05-06T07:08:10Z')] },
      );
      assert.deepEqual(dates, { d64: '2024-05-06 07:08:09.456', d: '2024-05-06 07:08:09', arr: ['2024-05-06 07:08:09.456', '2024-05-06 07:08:10.000'] });
    });

    test('insert keeps every row of hostile texts intact: blank lines, \\r\\n, NUL, emoji, 1 MB fields, a row that looks like SQL', async () => {
      const t = uniqueTable('texts');
      await store.command(`CREATE TABLE ${t} (id UInt32, v String) ENGINE = MergeTree ORDER BY id`);
      const big = 'x'.repeat(1_000_000);
      const texts = [
        'para one\n\npara two\n\n\nthree blank lines above',
        '\n\n',
        'windows\r\nline\r\n\r\nbreaks',
        'nul\u0000inside\u0000',
        '😀 emoji 👩‍👩‍👧 and a lone high surrogate pair 🏳️‍🌈',
        `${big}\n\n${big}`,
        '{"id": 999, "v": "not a row"}\n{"id": 998}',
        'INSERT INTO x VALUES (1);\n\nSELECT 1',
        '"quoted, with, commas"\t\ttabs',
        '',
      ];
      const rows = Array.from({ length: 300 }, (_, i) => ({ id: i, v: `${texts[i % texts.length]}#${i}` }));
      await store.insert(t, rows, { dedupToken: `texts-${t}` });
      const back = await store.query<{ id: number; v: string }>(`SELECT id, v FROM ${t} ORDER BY id`);
      assert.equal(back.length, rows.length, 'every row arrived');
      for (let i = 0; i < rows.length; i++) assert.equal(back[i]!.v, rows[i]!.v, `row ${i} intact`);
    });

    test('dedupToken: same token twice → rows once; different tokens → twice; no token after a token → not deduplicated', async () => {
      const t = uniqueTable('dedup');
      await store.command(`CREATE TABLE ${t} (id UInt32, v String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`);
      const rows = [
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
      ];
      await store.insert(t, rows, { dedupToken: 'batch-1' });
      await store.insert(t, rows, { dedupToken: 'batch-1' });
      assert.equal(await count(store, t), 2, 'same token twice: rows once');

      await store.insert(t, rows, { dedupToken: 'batch-2' });
      assert.equal(await count(store, t), 4, 'different token: inserted');

      await store.insert(t, rows);
      assert.equal(await count(store, t), 6, 'no token after a token: not deduplicated');

      await store.insert(t, [{ id: 3, v: 'c' }], { dedupToken: 'batch-1' });
      assert.equal(await count(store, t), 6, 'a token is remembered across other inserts');

      await store.insert(t, [{ id: 4, v: 'd' }], { dedupToken: 'batch-3' });
      await store.insert(t, [{ id: 5, v: 'e' }]);
      assert.equal(await count(store, t), 8, 'a new token, then no token with other rows: both inserted');
    });

    test('errors: ClickHouse errors are PipelineErrors carrying the code', async () => {
      const e = await assertStoreError(store.query('SELECT * FROM no_such_table_for_contract'), {
        code: ErrorCodes.STORE_QUERY_FAILED,
        retryable: false,
        chCode: 60,
        chType: 'UNKNOWN_TABLE',
      });
      assert.match(e.message, /no_such_table_for_contract/);
      await assertStoreError(store.insert('no_such_table_for_contract', [{ a: 1 }]), {
        code: ErrorCodes.STORE_QUERY_FAILED,
        retryable: false,
        chCode: 60,
        chType: 'UNKNOWN_TABLE',
      });
      await assertStoreError(store.command('CREATE TABLE oops ('), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false, chCode: 62, chType: 'SYNTAX_ERROR' });
      await assertStoreError(store.query('SELECT {n:UInt8} + 1 AS x', { n: 'not a number' }), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false });
      const t = uniqueTable('typed');
      await store.command(`CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id`);
      await assertStoreError(store.insert(t, [{ id: 'abc' }]), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false });
      assert.equal(await count(store, t), 0);
      await assertStoreError(store.query("SELECT toUInt32('x') + [1]"), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false });
      // caller mistakes are refused before reaching ClickHouse
      await assertStoreError(store.insert('t; DROP TABLE x', [{ a: 1 }]), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false });
      await assertStoreError(store.insert(t, [{ id: 1 }], { dedupToken: "x' OR 1" }), { code: ErrorCodes.STORE_QUERY_FAILED, retryable: false });
      // and the store still works afterwards
      assert.equal(await store.ping(), true);
    });
  });
}

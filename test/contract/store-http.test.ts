/**
 * The Store contract over HTTP: the plain @clickhouse/client HTTP client (no chdb hook)
 * as the service user, against our ClickHouse HTTP interface on 127.0.0.1:0, which serves
 * the embedded engine. Also: analysts' read-only access, curl-style use with fetch,
 * ClickHouse-style errors, authentication, compression, per-request state.
 * chDB binds one data directory per process: this file uses one.
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { buildClickHouseHttpInterface } from '../../services/clickhouse-http/http-interface.ts';
import { SessionPool } from '../../services/clickhouse-http/session-pool.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { createClickHouseStore } from '../../services/core/store/clickhouse-store.ts';
import { createHttpClient } from '../../services/core/store/clients.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { runStoreContract, uniqueTable } from './store.contract.ts';

const dir = tempDir('store-http');
const SERVICE = { username: 'pipeline', password: 'pipeline-secret' };
const ANALYST = { username: 'analyst', password: 'analyst-secret' };
let app: FastifyInstance;
let url = '';

before(async () => {
  app = buildClickHouseHttpInterface({
    dataDir: dir.path,
    serviceUser: SERVICE,
    analystUsers: [{ username: 'default' }, ANALYST],
    log: silentLogger(),
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  await app.close();
  dir.cleanup();
});

runStoreContract('HTTP interface (plain @clickhouse/client HTTP, service user)', () =>
  createClickHouseStore({ client: createHttpClient({ url, username: SERVICE.username, password: SERVICE.password }), log: silentLogger(), embedded: false }),
);

const quiet = { log: { level: ClickHouseLogLevel.OFF } };
function serviceClient(extra: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  return createClient({ url, username: SERVICE.username, password: SERVICE.password, ...quiet, ...extra });
}
function analystClient(extra: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  return createClient({ url, username: 'default', password: '', ...quiet, ...extra });
}

async function chError(p: Promise<unknown>): Promise<ClickHouseError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ClickHouseError, `expected a ClickHouseError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the request to fail');
}

async function withClient<T>(c: ClickHouseClient, fn: (c: ClickHouseClient) => Promise<T>): Promise<T> {
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

function basic(u: { username: string; password: string }): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}` };
}
const serviceHeaders = { 'X-ClickHouse-User': SERVICE.username, 'X-ClickHouse-Key': SERVICE.password };

/** POST (or GET with no body) `/?<params>` with plain fetch. */
async function http(params: Record<string, string>, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${url}/${qs ? `?${qs}` : ''}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers,
    body: init.body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

let shared = '';
async function sharedTable(): Promise<string> {
  if (shared) return shared;
  shared = uniqueTable('shared');
  await withClient(serviceClient(), async (c) => {
    await c.command({ query: `CREATE TABLE ${shared} (id UInt32, name String) ENGINE = MergeTree ORDER BY id` });
    await c.insert({ table: shared, values: [{ id: 1, name: 'one' }, { id: 2, name: 'two, "quoted"' }], format: 'JSONEachRow' });
  });
  return shared;
}

describe('analysts are read-only', () => {
  test('SELECT works, and sees what the service user wrote', async () => {
    const t = await sharedTable();
    await withClient(analystClient(), async (c) => {
      const rs = await c.query({ query: `SELECT id, name FROM ${t} WHERE id > {min:UInt32} ORDER BY id`, query_params: { min: 0 }, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [
        { id: 1, name: 'one' },
        { id: 2, name: 'two, "quoted"' },
      ]);
      const rs2 = await c.query({ query: 'SHOW TABLES', format: 'JSONEachRow' });
      assert.ok(((await rs2.json()) as Array<{ name: string }>).some((r) => r.name === t));
      assert.equal((await c.ping()).success, true);
    });
    // a password-protected analyst too
    await withClient(createClient({ url, username: ANALYST.username, password: ANALYST.password, ...quiet }), async (c) => {
      const rs = await c.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ one: 1 }]);
    });
  });

  test('INSERT, CREATE, DROP, ALTER, TRUNCATE, SET, OPTIMIZE are refused with READONLY', async () => {
    const t = await sharedTable();
    await withClient(analystClient(), async (c) => {
      const refused = [
        c.insert({ table: t, values: [{ id: 9, name: 'x' }], format: 'JSONEachRow' }),
        c.command({ query: `CREATE TABLE evil (x UInt8) ENGINE = Memory` }),
        c.command({ query: `DROP TABLE ${t}` }),
        c.command({ query: `ALTER TABLE ${t} DELETE WHERE 1` }),
        c.command({ query: `TRUNCATE TABLE ${t}` }),
        c.command({ query: 'SET max_threads = 1' }),
        c.command({ query: `OPTIMIZE TABLE ${t} FINAL` }),
        c.command({ query: `INSERT INTO ${t} SELECT 9, 'x'` }),
      ];
      for (const p of refused) {
        const e = await chError(p);
        assert.equal(e.code, '164', e.message);
        assert.equal(e.type, 'READONLY');
      }
    });
    await withClient(serviceClient(), async (c) => {
      const rs = await c.query({ query: `SELECT count() AS n FROM ${t}`, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ n: '2' }]);
    });
  });

  test('the engine itself refuses changes: a SETTINGS clause; file() is refused up front', async () => {
    await withClient(analystClient(), async (c) => {
      const e = await chError(c.query({ query: 'SELECT 1 SETTINGS max_threads = 1', format: 'JSONEachRow' }));
      assert.equal(e.type, 'READONLY');
      assert.match(e.message, /max_threads/);
      // the engine would refuse this table function too (READONLY), but not the file()
      // scalar function: both are refused before execution (see clickhouse-http-security.test.ts)
      const e2 = await chError(c.query({ query: "SELECT * FROM file('/etc/hostname', 'LineAsString')", format: 'JSONEachRow' }));
      assert.equal(e2.type, 'ACCESS_DENIED');
      assert.match(e2.message, /file\(\)/);
    });
  });

  test('settings in the URL are refused, except output-format ones', async () => {
    await withClient(analystClient(), async (c) => {
      const refusedSettings: ClickHouseSettings[] = [{ insert_deduplication_token: 'x' }, { max_threads: 1 }, { readonly: '0' }, { allow_introspection_functions: 1 }];
      for (const clickhouse_settings of refusedSettings) {
        const e = await chError(c.query({ query: 'SELECT 1', format: 'JSONEachRow', clickhouse_settings }));
        assert.equal(e.type, 'READONLY');
        assert.match(e.message, new RegExp(`Cannot modify '${Object.keys(clickhouse_settings)[0]}' setting in readonly mode`));
      }
      const rs = await c.query({ query: 'SELECT toUInt64(5) AS u', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
      assert.deepEqual(await rs.json(), [{ u: 5 }]);
      const rs2 = await c.query({ query: 'SELECT toUInt64(5) AS u', format: 'JSONEachRow', clickhouse_settings: { readonly: '1' } });
      assert.deepEqual(await rs2.json(), [{ u: '5' }]);
      // and the format setting did not stay on a pooled session
      for (let i = 0; i < 6; i++) {
        const r = await c.query({ query: 'SELECT toUInt64(5) AS u', format: 'JSONEachRow' });
        assert.deepEqual(await r.json(), [{ u: '5' }]);
      }
    });
  });

  test('INTO OUTFILE, FROM INFILE and multi-statements are refused (for the service user too)', async () => {
    for (const client of [analystClient(), serviceClient()]) {
      await withClient(client, async (c) => {
        const e = await chError(c.command({ query: `SELECT 1 INTO OUTFILE '${dir.path}/out.tsv'` }));
        assert.equal(e.type, 'INTO_OUTFILE_NOT_ALLOWED');
        const e2 = await chError(c.command({ query: 'SELECT 1; SELECT 2' }));
        assert.equal(e2.type, 'SYNTAX_ERROR');
        assert.match(e2.message, /Multi-statements are not allowed/);
      });
    }
    await withClient(serviceClient(), async (c) => {
      const e = await chError(c.command({ query: `INSERT INTO ${await sharedTable()} FROM INFILE '/etc/hostname' FORMAT TSV` }));
      assert.equal(e.code, '78');
    });
  });
});

describe('curl-style use with plain fetch', () => {
  test('GET /ping and GET / answer Ok.', async () => {
    for (const path of ['/ping', '/']) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'Ok.\n');
    }
  });

  test('GET ?query=SELECT 1 FORMAT JSON', async () => {
    const r = await http({ query: 'SELECT 1 AS one FORMAT JSON' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-clickhouse-format'), 'JSON');
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(r.headers.get('x-clickhouse-query-id'));
    const summary = JSON.parse(r.headers.get('x-clickhouse-summary') ?? '{}') as Record<string, string>;
    assert.equal(summary.read_rows, '1');
    const body = JSON.parse(r.text) as { data: unknown[]; rows: number; meta: unknown[] };
    assert.deepEqual(body.data, [{ one: 1 }]);
    assert.equal(body.rows, 1);
  });

  test('POST body; URL query + body; default format TabSeparated', async () => {
    assert.equal((await http({}, { body: 'SELECT 1 AS a, 2 AS b' })).text, '1\t2\n');
    assert.equal((await http({ query: 'SELECT' }, { body: ' 40 + 2' })).text, '42\n');
    const r = await http({ query: 'SELECT 1 AS a', default_format: 'JSONEachRow' });
    assert.equal(r.text, '{"a":1}\n');
    assert.equal(r.headers.get('x-clickhouse-format'), 'JSONEachRow');
  });

  test('param_x binds query parameters (verbatim, never executed)', async () => {
    const r = await http({
      query: 'SELECT {x:String} AS x, {n:UInt8} + 1 AS n, {a:Array(String)} AS a FORMAT JSONEachRow',
      param_x: "it's a \\'trap\\'; DROP TABLE x; --",
      param_n: '41',
      param_a: "['a\\'b','c']",
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { x: "it's a 'trap'; DROP TABLE x; --", n: 42, a: ["a'b", 'c'] });
    const missing = await http({ query: 'SELECT {nope:String}' });
    assert.equal(missing.headers.get('x-clickhouse-exception-code'), '456');
  });

  test('INSERT … FORMAT JSONEachRow with the data in the body (service user), then CSV/TSV/JSONEachRow/JSON out', async () => {
    const t = uniqueTable('curl');
    let r = await http({}, { body: `CREATE TABLE ${t} (id UInt32, name String) ENGINE = MergeTree ORDER BY id`, headers: serviceHeaders });
    assert.equal(r.status, 200, r.text);
    r = await http({ query: `INSERT INTO ${t} FORMAT JSONEachRow` }, { body: '{"id":1,"name":"a,b"}\n{"id":2,"name":"tab\\there"}\n', headers: serviceHeaders });
    assert.equal(r.status, 200, r.text);
    assert.equal(JSON.parse(r.headers.get('x-clickhouse-summary') ?? '{}').written_rows, '2');
    // VALUES in the body, with Basic auth; and everything in the body
    r = await http({ query: `INSERT INTO ${t} VALUES` }, { body: "(3, 'three')", headers: basic(SERVICE) });
    assert.equal(r.status, 200, r.text);
    r = await http({}, { body: `INSERT INTO ${t} FORMAT TSV\n4\tfour\n`, headers: basic(SERVICE) });
    assert.equal(r.status, 200, r.text);

    const q = `SELECT id, name FROM ${t} ORDER BY id`;
    const csv = await http({ query: `${q} FORMAT CSV` });
    assert.equal(csv.text, '1,"a,b"\n2,"tab\there"\n3,"three"\n4,"four"\n');
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const tsv = await http({ query: `${q} FORMAT TSV` });
    assert.equal(tsv.text, '1\ta,b\n2\ttab\\there\n3\tthree\n4\tfour\n');
    const tsvNames = await http({ query: `${q} FORMAT TSVWithNames` });
    assert.equal(tsvNames.text.split('\n')[0], 'id\tname');
    const jer = await http({ query: `${q} FORMAT JSONEachRow` });
    assert.deepEqual(
      jer.text.trim().split('\n').map((l) => JSON.parse(l)),
      [
        { id: 1, name: 'a,b' },
        { id: 2, name: 'tab\there' },
        { id: 3, name: 'three' },
        { id: 4, name: 'four' },
      ],
    );
    const json = await http({ query: `${q} FORMAT JSON` });
    assert.equal((JSON.parse(json.text) as { rows: number }).rows, 4);

    // INSERT data is data: an empty line followed by SQL is not run as a statement
    r = await http({ query: `INSERT INTO ${t} FORMAT JSONEachRow` }, { body: `{"id":5,"name":"e"}\n\nDROP TABLE ${t}\n`, headers: serviceHeaders });
    assert.notEqual(r.status, 200);
    r = await http({ query: `INSERT INTO ${t} FORMAT JSONEachRow` }, { body: '{"id":5,"name":"e"}\n\n{"id":6,"name":"f"}\n', headers: serviceHeaders });
    assert.equal(r.status, 200, r.text);
    assert.equal((await http({ query: `SELECT count() FROM ${t}` })).text, '6\n');
  });

  test('writes need POST: GET is read-only even for the service user', async () => {
    const r = await http({ query: 'CREATE TABLE via_get (x UInt8) ENGINE = Memory' }, { headers: serviceHeaders });
    assert.equal(r.headers.get('x-clickhouse-exception-code'), '164');
    assert.match(r.text, /method GET implies readonly/);
  });

  test('database parameter', async () => {
    let r = await http({}, { body: 'CREATE DATABASE IF NOT EXISTS other_db', headers: serviceHeaders });
    assert.equal(r.status, 200, r.text);
    r = await http({ query: 'SELECT currentDatabase()', database: 'other_db' });
    assert.equal(r.text, 'other_db\n');
    r = await http({ query: 'SELECT currentDatabase()' });
    assert.equal(r.text, 'default\n');
  });
});

describe('ClickHouse-style errors', () => {
  test('body, X-ClickHouse-Exception-Code header and HTTP status like a server', async () => {
    const r = await http({ query: 'SELECT * FROM no_such_table' });
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('x-clickhouse-exception-code'), '60');
    assert.match(r.text, /^Code: 60\. DB::Exception: .*no_such_table.*\(UNKNOWN_TABLE\) \(version [^)]+\)\n$/s);
    for (const headers of [{}, serviceHeaders]) {
      // an analyst's typo is refused up front, the service user's by the engine: both 62
      const syntax = await http({}, { body: 'SELEC 1', headers });
      assert.equal(syntax.status, 400, syntax.text);
      assert.equal(syntax.headers.get('x-clickhouse-exception-code'), '62');
    }
    const empty = await http({}, { body: '  -- nothing\n' });
    assert.equal(empty.headers.get('x-clickhouse-exception-code'), '62');
    assert.match(empty.text, /Empty query/);
    const unterminated = await http({ query: "SELECT 'abc" });
    assert.equal(unterminated.headers.get('x-clickhouse-exception-code'), '62');
  });

  test('@clickhouse/client surfaces them as ClickHouseError with code and type', async () => {
    await withClient(analystClient(), async (c) => {
      const e = await chError(c.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' }));
      assert.equal(e.code, '60');
      assert.equal(e.type, 'UNKNOWN_TABLE');
      const e2 = await chError(c.query({ query: 'SELECT toUInt8({x:String})', format: 'JSONEachRow', query_params: { x: 'abc' } }));
      assert.ok(Number(e2.code) > 0 && /^[A-Z_]+$/.test(String(e2.type)), e2.message);
    });
  });
});

describe('authentication', () => {
  test('wrong password → 516 AUTHENTICATION_FAILED (HTTP 403, as a server); no password → 194 REQUIRED_PASSWORD (HTTP 401)', async () => {
    const wrong = await http({ query: 'SELECT 1' }, { headers: { 'X-ClickHouse-User': SERVICE.username, 'X-ClickHouse-Key': 'nope' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers.get('x-clickhouse-exception-code'), '516');
    assert.match(wrong.text, /^Code: 516\. DB::Exception: pipeline: Authentication failed: password is incorrect, or there is no user with such name\. \(AUTHENTICATION_FAILED\)/);
    const wrongBasic = await http({ query: 'SELECT 1' }, { headers: basic({ username: ANALYST.username, password: 'x' }) });
    assert.equal(wrongBasic.headers.get('x-clickhouse-exception-code'), '516');
    const unknown = await http({ query: 'SELECT 1', user: 'mallory', password: 'x' });
    assert.equal(unknown.status, 403);
    assert.equal(unknown.headers.get('x-clickhouse-exception-code'), '516');
    const noPassword = await http({ query: 'SELECT 1', user: SERVICE.username });
    assert.equal(noPassword.status, 401);
    assert.equal(noPassword.headers.get('x-clickhouse-exception-code'), '194');
    assert.match(noPassword.headers.get('www-authenticate') ?? '', /^Basic/);
    const mixed = await http({ query: 'SELECT 1', user: 'default' }, { headers: serviceHeaders });
    assert.equal(mixed.headers.get('x-clickhouse-exception-code'), '516');
    // URL parameters work
    const ok = await http({ query: 'SELECT 7', user: SERVICE.username, password: SERVICE.password });
    assert.equal(ok.text, '7\n');

    await withClient(createClient({ url, username: SERVICE.username, password: 'wrong', ...quiet }), async (c) => {
      const e = await chError(c.query({ query: 'SELECT 1', format: 'JSONEachRow' }));
      assert.equal(e.code, '516');
      assert.equal(e.type, 'AUTHENTICATION_FAILED');
    });
  });
});

describe('HTTP compression', () => {
  test('@clickhouse/client with request and response compression', async () => {
    const t = uniqueTable('gz');
    await withClient(serviceClient({ compression: { request: true, response: true } }), async (c) => {
      await c.command({ query: `CREATE TABLE ${t} (id UInt32, s String) ENGINE = MergeTree ORDER BY id` });
      const values = Array.from({ length: 500 }, (_, i) => ({ id: i, s: `row ${i} `.repeat(5) }));
      await c.insert({ table: t, values, format: 'JSONEachRow' });
      const rs = await c.query({ query: `SELECT count() AS n, sum(id) AS s FROM ${t}`, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ n: '500', s: '124750' }]);
    });
  });

  test('enable_http_compression=1 + Accept-Encoding: gzip → gzip response; gzip request body', async () => {
    const res = await fetch(`${url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT number FROM numbers(1000) FORMAT TSV')}`, {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    const raw = Buffer.from(await res.arrayBuffer()); // fetch decodes gzip itself
    assert.equal(raw.toString().split('\n').length, 1001);
    const gz = await fetch(`${url}/`, { method: 'POST', body: gzipSync('SELECT 6 * 7'), headers: { 'Content-Encoding': 'gzip' } });
    assert.equal(await gz.text(), '42\n');
    // not asked: not compressed
    const plain = await fetch(`${url}/?query=SELECT+1`, { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(plain.headers.get('content-encoding'), null);
  });
});

describe('service user: per-request state never outlives the request', () => {
  test('settings in the URL apply to that request only', async () => {
    const t = uniqueTable('settings');
    await withClient(serviceClient(), async (c) => {
      await c.command({ query: `CREATE TABLE ${t} (id UInt32) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100` });
      const ins = (token?: string) =>
        c.insert({ table: t, values: [{ id: 1 }], format: 'JSONEachRow', clickhouse_settings: token ? { insert_deduplication_token: token } : {} });
      await ins('tok');
      await ins('tok');
      await ins(); // no token: would be dropped if 'tok' had stuck to a session
      const rs = await c.query({ query: `SELECT count() AS n FROM ${t}`, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ n: '2' }]);
      for (let i = 0; i < 8; i++) {
        const r = await c.query({ query: "SELECT getSetting('insert_deduplication_token') AS tok, toString(getSetting('max_result_rows')) AS m", format: 'JSONEachRow' });
        assert.deepEqual(await r.json(), [{ tok: '', m: '0' }]);
      }
    });
  });

  test('SET statements and temporary tables do not stick to pooled sessions', async () => {
    await withClient(serviceClient(), async (c) => {
      await c.command({ query: 'SET max_result_rows = 7' });
      await c.command({ query: 'CREATE TEMPORARY TABLE tmp_state (x UInt8)' });
      for (let i = 0; i < 8; i++) {
        const r = await c.query({ query: "SELECT toString(getSetting('max_result_rows')) AS m", format: 'JSONEachRow' });
        assert.deepEqual(await r.json(), [{ m: '0' }]);
      }
      const e = await chError(c.query({ query: 'SELECT * FROM tmp_state', format: 'JSONEachRow' }));
      assert.equal(e.type, 'UNKNOWN_TABLE');
    });
  });

  test('query parameters from multipart/form-data bodies', async () => {
    await withClient(serviceClient({ use_multipart_params: true }), async (c) => {
      const rs = await c.query({ query: 'SELECT {s:String} AS s, {n:UInt32} AS n', query_params: { s: "multi'part\n", n: 5 }, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [{ s: "multi'part\n", n: 5 }]);
    });
  });
});

describe('concurrency', () => {
  test('parallel queries from both roles all complete', async () => {
    await withClient(analystClient({ max_open_connections: 16 }), async (a) => {
      await withClient(serviceClient({ max_open_connections: 16 }), async (s) => {
        const jobs = Array.from({ length: 24 }, async (_, i) => {
          const c = i % 2 ? a : s;
          const rs = await c.query({ query: 'SELECT toUInt32({i:UInt32} * 2) AS v, count() AS n FROM numbers(100000)', query_params: { i }, format: 'JSONEachRow' });
          return rs.json();
        });
        const results = await Promise.all(jobs);
        results.forEach((r, i) => assert.deepEqual(r, [{ v: i * 2, n: '100000' }]));
      });
    });
  });

  test('the session pool bounds concurrency and refuses past its queue', async () => {
    const pool = new SessionPool({ dataDir: dir.path, name: 'test', size: 1, maxQueued: 1, initSql: 'SET readonly = 1', log: silentLogger() });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const a = pool.run(false, async (s) => {
      order.push('a');
      await gate;
      return (await s.queryAsync("SELECT getSetting('readonly')", { format: 'TSV' })).text();
    });
    const b = pool.run(false, async () => {
      order.push('b');
      return 'b';
    });
    await assert.rejects(pool.run(false, async () => 'c'), (e: unknown) => (e as { chCode?: number }).chCode === 202);
    assert.equal(pool.stats.active, 1);
    assert.equal(pool.stats.queued, 1);
    release();
    assert.equal((await a).trim(), '1');
    assert.equal(await b, 'b');
    assert.deepEqual(order, ['a', 'b']);
    pool.close();
  });
});

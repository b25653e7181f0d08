/**
 * Security of the ClickHouse HTTP interface for analysts (user `default`, no password,
 * read-only): against the real interface on 127.0.0.1:0 (chDB underneath), with plain
 * fetch and with @clickhouse/client. Analysts must not read or write this host's files,
 * reach the network, read other sessions' queries, or run without resource limits; and
 * ordinary analyst queries must keep working.
 * chDB binds one data directory per process: this file uses one.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import {
  DEFAULT_ANALYST_SETTINGS,
  buildClickHouseHttpInterface,
} from '../../services/clickhouse-http/http-interface.ts';
import { checkAst, deniedFunctionSet, parseAstDump, scanCalls, unquoteIdentifier } from '../../services/clickhouse-http/analyst-guard.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const dir = tempDir('ch-http-security');
const outDir = tempDir('ch-http-security-out');
const SERVICE = { username: 'pipeline', password: 'pipeline-secret' };
const serviceHeaders = { 'X-ClickHouse-User': SERVICE.username, 'X-ClickHouse-Key': SERVICE.password };
const TABLE = 'sec_events';

let app: FastifyInstance;
let url = '';
/** A local HTTP server that must never be contacted: every TCP connection and request is counted. */
let bait: Server;
let baitUrl = '';
let baitHost = '';
let baitConnections = 0;
let baitRequests = 0;

before(async () => {
  bait = createServer((_req, res) => {
    baitRequests++;
    res.end('leaked_a,leaked_b\n1,2\n');
  });
  bait.on('connection', () => baitConnections++);
  await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
  const { port } = bait.address() as AddressInfo;
  baitHost = `127.0.0.1:${port}`;
  baitUrl = `http://${baitHost}`;

  app = buildClickHouseHttpInterface({
    dataDir: dir.path,
    serviceUser: SERVICE,
    analystSettings: { max_execution_time: 2 },
    log: silentLogger(),
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  const r = await http({}, { body: `CREATE TABLE ${TABLE} (id UInt32, url String, file String, input String) ENGINE = MergeTree ORDER BY id`, headers: serviceHeaders });
  assert.equal(r.status, 200, r.text);
  const r2 = await http({}, { body: `INSERT INTO ${TABLE} VALUES (1, 'https://example.com/a', 'a.txt', 'hello'), (2, 'https://example.com/b', 'b.txt', 'world')`, headers: serviceHeaders });
  assert.equal(r2.status, 200, r2.text);
});
after(async () => {
  await app.close();
  await new Promise<void>((resolve) => bait.close(() => resolve()));
  dir.cleanup();
  outDir.cleanup();
});

const quiet = { log: { level: ClickHouseLogLevel.OFF } };
function analystClient(): ClickHouseClient {
  return createClient({ url, username: 'default', password: '', ...quiet });
}

interface Res {
  status: number;
  headers: Headers;
  text: string;
}

/** `/?<params>` with plain fetch: POST when there is a body, else GET. */
async function http(params: Record<string, string>, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Res> {
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${url}/${qs ? `?${qs}` : ''}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.headers,
    body: init.body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The query as an analyst, both as POST body and as GET ?query=. */
async function asAnalyst(query: string, params: Record<string, string> = {}): Promise<Res[]> {
  return [await http(params, { body: query }), await http({ ...params, query })];
}

function assertRefused(r: Res, code: number, message?: RegExp): void {
  assert.notEqual(r.status, 200, `expected a refusal, got 200: ${r.text.slice(0, 200)}`);
  assert.equal(r.headers.get('x-clickhouse-exception-code'), String(code), r.text);
  assert.match(r.text, new RegExp(`^Code: ${code}\\. DB::Exception: `));
  if (message) assert.match(r.text, message);
}

async function refusedEverywhere(query: string, code: number, message?: RegExp, params: Record<string, string> = {}): Promise<void> {
  for (const r of await asAnalyst(query, params)) assertRefused(r, code, message);
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

const NBSP = '\u00a0';
const EM_SPACE = '\u2003';
const IDEOGRAPHIC_SPACE = '\u3000';

describe('S1: no files, no network', () => {
  test('the file() scalar function is refused, however it is spelled', async () => {
    const variants = [
      "SELECT file('/etc/passwd')",
      "SELECT substring(file('/proc/self/environ'), 1, 100)",
      "select FILE('/etc/passwd')",
      "SELECT `file`('/etc/passwd')",
      'SELECT "file"(\'/etc/passwd\')',
      "SELECT `fi\\x6ce`('/etc/passwd')",
      "SELECT file/* c */('/etc/passwd')",
      `SELECT file${NBSP}('/etc/passwd')`,
      "SELECT length(file('/etc/passwd')) AS n FORMAT JSON",
      "WITH file('/etc/passwd') AS f SELECT f",
      "SELECT 1 WHERE file('/etc/passwd') != ''",
      "SELECT * FROM (SELECT file('/etc/passwd'))",
      "SELECT arrayMap(x -> file(x), ['/etc/passwd'])",
      "EXPLAIN SELECT file('/etc/passwd')",
      "DESC (SELECT file('/etc/passwd'))",
      // APPLY takes a function name: EXPLAIN AST does not show it, the scan of the normal form does
      "SELECT * APPLY(file) FROM (SELECT '/etc/passwd' AS p)",
      "SELECT * APPLY file FROM (SELECT '/etc/passwd' AS p)",
      "SELECT COLUMNS('p') APPLY(x -> file(x)) FROM (SELECT '/etc/passwd' AS p)",
      "SELECT * APPLY(`fi\\x6ce`) FROM (SELECT '/etc/passwd' AS p)",
    ];
    for (const q of variants) {
      for (const r of await asAnalyst(q)) {
        assertRefused(r, 497, /file\(\) reads files, URLs, other servers or processes/i);
        assert.equal(r.status, 403);
        assert.doesNotMatch(r.text, /root:/);
      }
    }
  });

  test('the file() table function is refused (SELECT and DESC)', async () => {
    await refusedEverywhere("SELECT * FROM file('/etc/passwd', 'LineAsString')", 497, /file\(\)/);
    await refusedEverywhere("DESC file('/etc/passwd', 'LineAsString')", 497, /file\(\)/);
    await refusedEverywhere("SELECT * FROM fileCluster('c', '/etc/passwd', 'LineAsString')", 497, /fileCluster\(\)/);
  });

  test('url(), DESC url(), s3(), remote() … are refused and the local server receives nothing', async () => {
    const u = `'${baitUrl}/x.csv'`;
    const queries: Array<[string, RegExp]> = [
      [`DESC url(${u}, 'CSVWithNames')`, /url\(\)/],
      [`DESCRIBE TABLE url(${u}, 'CSVWithNames')`, /url\(\)/],
      [`SELECT * FROM url(${u}, 'CSVWithNames')`, /url\(\)/],
      [`SELECT * FROM URL(${u}, 'CSVWithNames')`, /URL\(\)/],
      [`DESC (SELECT * FROM url(${u}, 'CSVWithNames'))`, /url\(\)/],
      [`EXPLAIN SELECT * FROM url(${u}, 'CSVWithNames')`, /url\(\)/],
      [`SELECT * FROM (EXPLAIN SELECT * FROM url(${u}, 'CSVWithNames'))`, /url\(\)/],
      [`SELECT 1 WHERE 1 IN (SELECT 1 FROM url(${u}, 'CSVWithNames'))`, /url\(\)/],
      [`SELECT * APPLY(x -> (SELECT count() FROM url(${u}, 'CSVWithNames'))) FROM (SELECT 1 AS p)`, /url\(\)/],
      [`SELECT * FROM urlCluster('default', ${u}, 'CSVWithNames')`, /urlCluster\(\)/],
      [`DESC s3(${u}, 'CSVWithNames')`, /s3\(\)/],
      [`SELECT * FROM s3Cluster('default', ${u}, 'CSVWithNames')`, /s3Cluster\(\)/],
      [`SELECT * FROM gcs(${u}, 'CSVWithNames')`, /gcs\(\)/],
      [`SELECT * FROM remote('${baitHost}', system.one)`, /remote\(\)/],
      [`SELECT * FROM remoteSecure('${baitHost}', system.one)`, /remoteSecure\(\)/],
      [`SELECT * FROM cluster('default', system.one)`, /cluster\(\)/],
      [`SELECT * FROM clusterAllReplicas('default', system.one)`, /clusterAllReplicas\(\)/],
      [`SELECT * FROM mysql('${baitHost}', 'db', 't', 'u', 'p')`, /mysql\(\)/],
      [`SELECT * FROM postgresql('${baitHost}', 'db', 't', 'u', 'p')`, /postgresql\(\)/],
      [`SELECT * FROM mongodb('${baitHost}', 'db', 'c', 'u', 'p', 'x String')`, /mongodb\(\)/],
      [`SELECT * FROM redis('${baitHost}', 'k', 'k String')`, /redis\(\)/],
      [`SELECT * FROM azureBlobStorage(${u}, 'c', 'b')`, /azureBlobStorage\(\)/],
      [`SELECT * FROM hdfs('hdfs://${baitHost}/x', 'CSV')`, /hdfs\(\)/],
      [`SELECT * FROM icebergS3(${u})`, /icebergS3\(\)/],
      [`SELECT * FROM deltaLake(${u})`, /deltaLake\(\)/],
      [`SELECT * FROM hudi(${u})`, /hudi\(\)/],
      ["SELECT * FROM sqlite('/etc/passwd', 't')", /sqlite\(\)/],
      ["SELECT * FROM jdbc('x', 'y', 'z')", /jdbc\(\)/],
      ["SELECT * FROM odbc('x', 'y', 'z')", /odbc\(\)/],
      ["SELECT * FROM executable('id', 'TSV', 'x String')", /executable\(\)/],
      ["SELECT * FROM executablePool('id', 'TSV', 'x String')", /executablePool\(\)/],
      ["SELECT * FROM input('x String')", /input\(\)/],
      ["SELECT count() FROM filesystem('/etc')", /filesystem\(\)/],
      ["SELECT * FROM eval('SELECT 1')", /eval\(\)/],
      ["SELECT * FROM loop(numbers(1)) LIMIT 1", /loop\(\)/],
      ["SELECT catboostEvaluate('/etc/passwd', 1)", /catboostEvaluate\(\)/],
      ["SELECT aiGenerate('hi')", /aiGenerate\(\)/],
    ];
    for (const [q, message] of queries) await refusedEverywhere(q, 497, message);
    assert.equal(baitRequests, 0, 'the local HTTP server received a request');
    assert.equal(baitConnections, 0, 'the local HTTP server received a connection');
  });

  test('table functions outside the allow-list are refused by name, without a list of them to keep up to date', async () => {
    const r = await http({ query: "SELECT * FROM arrowstream('x')" });
    assertRefused(r, 497, /arrowstream\(\)/);
  });

  test('@clickhouse/client sees ACCESS_DENIED with the function named; the local server still receives nothing', async () => {
    const c = analystClient();
    try {
      const e = await chError(c.query({ query: "SELECT file('/etc/passwd') AS f", format: 'JSONEachRow' }));
      assert.equal(e.code, '497');
      assert.equal(e.type, 'ACCESS_DENIED');
      assert.match(e.message, /file\(\)/);
      const e2 = await chError(c.query({ query: `DESC url('${baitUrl}/x.csv', 'CSVWithNames')`, format: 'JSONEachRow' }));
      assert.equal(e2.type, 'ACCESS_DENIED');
      assert.match(e2.message, /url\(\)/);
      const e3 = await chError(c.query({ query: 'SELECT * FROM url({u:String}, CSVWithNames)', query_params: { u: `${baitUrl}/x.csv` }, format: 'JSONEachRow' }));
      assert.equal(e3.type, 'ACCESS_DENIED');
    } finally {
      await c.close();
    }
    assert.equal(baitRequests + baitConnections, 0);
  });
});

describe('S2: INTO OUTFILE / FROM INFILE, whatever separates the tokens', () => {
  const separators: Array<[string, string]> = [
    ['ASCII space', ' '],
    ['U+00A0', NBSP],
    ['U+2003', EM_SPACE],
    ['U+3000', IDEOGRAPHIC_SPACE],
    ['a block comment', '/* x */'],
    ['a line comment', ' -- x\n'],
    ['U+00A0 and a comment', `${NBSP}/**/${NBSP}`],
  ];

  test('SELECT … INTO OUTFILE is refused (POST and GET) and the file is not created', async () => {
    let i = 0;
    for (const [name, sep] of separators) {
      for (const tail of ['', ' TRUNCATE', ' APPEND', ' AND STDOUT']) {
        const target = join(outDir.path, `out-${i++}.txt`);
        const q = `SELECT 'pwned' INTO${sep}OUTFILE${sep}'${target}'${tail}`;
        for (const r of await asAnalyst(q)) assertRefused(r, 358, /INTO OUTFILE is not allowed/);
        assert.equal(existsSync(target), false, `${name}${tail}: ${target} was written`);
      }
    }
    // with a FORMAT, in an EXPLAIN, in a DESCRIBE
    for (const q of [
      `SELECT 1 INTO${NBSP}OUTFILE '${join(outDir.path, 'f.csv')}' FORMAT CSV`,
      `EXPLAIN SELECT 1 INTO${IDEOGRAPHIC_SPACE}OUTFILE '${join(outDir.path, 'e.txt')}'`,
      `DESCRIBE TABLE ${TABLE} INTO${EM_SPACE}OUTFILE '${join(outDir.path, 'd.txt')}'`,
    ]) {
      for (const r of await asAnalyst(q)) assertRefused(r, 358);
    }
    assert.deepEqual(readdirSync(outDir.path), []);
  });

  test('@clickhouse/client: INTO<U+00A0>OUTFILE is refused for analysts and for the service user', async () => {
    const target = join(outDir.path, 'client.txt');
    for (const c of [analystClient(), createClient({ url, username: SERVICE.username, password: SERVICE.password, ...quiet })]) {
      try {
        const e = await chError(c.command({ query: `SELECT 'x' INTO${NBSP}OUTFILE '${target}' TRUNCATE` }));
        assert.equal(e.type, 'INTO_OUTFILE_NOT_ALLOWED');
      } finally {
        await c.close();
      }
    }
    assert.equal(existsSync(target), false);
  });

  test('FROM INFILE is refused', async () => {
    for (const sep of [' ', NBSP, '/**/']) {
      const r = await http({}, { body: `INSERT INTO ${TABLE} FROM${sep}INFILE '/etc/passwd' FORMAT LineAsString` });
      assert.notEqual(r.status, 200);
      assert.ok(['78', '164'].includes(r.headers.get('x-clickhouse-exception-code') ?? ''), r.text);
    }
  });
});

describe('analysts stay read-only and single-statement', () => {
  test('multi-statements are refused, also when separated by Unicode spaces or comments', async () => {
    for (const q of ['SELECT 1; SELECT 2', `SELECT 1;${NBSP}DROP TABLE ${TABLE}`, `SELECT 1 /* ; */; DROP TABLE ${TABLE}`, `SELECT 1;${IDEOGRAPHIC_SPACE}SELECT file('/etc/passwd')`]) {
      await refusedEverywhere(q, 62, /Multi-statements are not allowed/);
    }
  });

  test('SETTINGS clauses and URL settings cannot change anything (limits included)', async () => {
    for (const q of ['SELECT 1 SETTINGS max_execution_time = 1000', 'SELECT 1 SETTINGS readonly = 0', 'SELECT 1 FORMAT JSON SETTINGS max_memory_usage = 0', `SELECT 1${NBSP}SETTINGS${NBSP}max_result_rows = 0`]) {
      await refusedEverywhere(q, 164, /Cannot modify '\w+' setting in readonly mode/);
    }
    for (const setting of ['max_execution_time', 'max_memory_usage', 'max_result_rows', 'readonly']) {
      const r = await http({ query: 'SELECT 1', [setting]: '0' });
      assertRefused(r, 164, new RegExp(`Cannot modify '${setting}' setting`));
    }
  });

  test('write statements are refused', async () => {
    const writes = [
      `INSERT INTO ${TABLE} VALUES (9, 'x', 'y', 'z')`,
      `INSERT INTO ${TABLE} SELECT 9, 'x', 'y', 'z'`,
      `INSERT INTO FUNCTION file('${join(outDir.path, 'ins.csv')}', 'CSV') SELECT 1`,
      `CREATE TABLE evil (x UInt8) ENGINE = Memory`,
      `CREATE DICTIONARY d (k UInt64, v String) PRIMARY KEY k SOURCE(HTTP(url '${baitUrl}/d' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)`,
      `DROP TABLE ${TABLE}`,
      `ALTER TABLE ${TABLE} DELETE WHERE 1`,
      `TRUNCATE TABLE ${TABLE}`,
      'SET max_execution_time = 0',
      'USE system',
      'SYSTEM RELOAD DICTIONARIES',
      'KILL QUERY WHERE 1',
      `BACKUP TABLE ${TABLE} TO File('${join(outDir.path, 'b')}')`,
    ];
    for (const q of writes) {
      const r = await http({}, { body: q });
      assertRefused(r, 164);
    }
    const count = await http({ query: `SELECT count() FROM ${TABLE}` });
    assert.equal(count.text, '2\n');
    assert.deepEqual(readdirSync(outDir.path), []);
    assert.equal(baitRequests + baitConnections, 0);
  });

  test('other sessions\u2019 queries are not readable: system.processes, SHOW PROCESSLIST, query logs', async () => {
    await refusedEverywhere('SELECT query FROM system.processes', 497, /system\.processes/);
    await refusedEverywhere('SELECT * FROM `system`.`processes`', 497, /system\.processes/);
    await refusedEverywhere('SHOW PROCESSLIST', 497, /PROCESSLIST/);
    await refusedEverywhere('SELECT 1 WHERE 1 IN system.processes', 497, /system\.processes/);
    await refusedEverywhere('SELECT * FROM system.query_log', 497, /system\.query_log/);
    await refusedEverywhere('SELECT * FROM system.asynchronous_inserts', 497);
    await refusedEverywhere('SELECT * FROM system.named_collections', 497);
    await refusedEverywhere("SELECT * FROM merge('system', '^proc')", 497, /merge\(\)/);
    await refusedEverywhere("SELECT * FROM merge(REGEXP('^sys'), '^proc')", 497, /merge\(\)/);
    await refusedEverywhere("SELECT * FROM merge(concat('sys', 'tem'), '^proc')", 497, /merge\(\)/);
    // the current database as `system`
    await refusedEverywhere('SELECT query FROM processes', 497, /system\.processes/, { database: 'system' });
    await refusedEverywhere("SELECT * FROM merge('^proc')", 497, /merge\(\)/, { database: 'system' });
    // a table name from a parameter: checked after substitution
    await refusedEverywhere('SELECT query FROM {db:Identifier}.processes', 497, /system\.processes/, { param_db: 'system' });
    // catalog tables stay readable
    const r = await http({ query: `SELECT name FROM system.tables WHERE name = '${TABLE}' FORMAT JSONEachRow` });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { name: TABLE });
    const r2 = await http({ query: 'SELECT count() > 0 FROM processes', database: 'default' });
    assert.equal(r2.headers.get('x-clickhouse-exception-code'), '60', r2.text); // not system.processes
  });

  test('line breaks that could forge EXPLAIN AST lines are refused', async () => {
    const r = await http({ query: 'SELECT 1 FROM {t:Identifier}', param_t: 'one\n      Function numbers' });
    assertRefused(r, 36, /raw line break/);
    const r2 = await http({}, { body: 'SELECT 1 AS `a\\n  Function numbers`' });
    assertRefused(r2, 36, /line breaks/);
    // escaped line breaks in parameter values are fine (that is how clients send them)
    const ok = await http({ query: 'SELECT {s:String} AS s FORMAT JSONEachRow', param_s: 'a\\nb' });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(JSON.parse(ok.text), { s: 'a\nb' });
  });
});

describe('analysts\u2019 ordinary queries still work', () => {
  test('SELECT with FORMAT JSON / CSV / JSONEachRow, and the X-ClickHouse-Format header', async () => {
    const q = `SELECT id, url FROM ${TABLE} ORDER BY id`;
    const json = await http({ query: `${q} FORMAT JSON` });
    assert.equal(json.status, 200, json.text);
    assert.equal(json.headers.get('x-clickhouse-format'), 'JSON');
    assert.deepEqual((JSON.parse(json.text) as { data: unknown[] }).data, [
      { id: 1, url: 'https://example.com/a' },
      { id: 2, url: 'https://example.com/b' },
    ]);
    const csv = await http({}, { body: `${q} FORMAT CSV` });
    assert.equal(csv.text, '1,"https://example.com/a"\n2,"https://example.com/b"\n');
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    const jer = await http({ query: `${q}\nformat${NBSP}JSONEachRow -- trailing comment` });
    assert.equal(jer.status, 200, jer.text);
    assert.equal(jer.headers.get('x-clickhouse-format'), 'JSONEachRow');
    assert.equal(jer.text.trim().split('\n').length, 2);
    const def = await http({ query: q, default_format: 'JSONEachRow' });
    assert.equal(def.headers.get('x-clickhouse-format'), 'JSONEachRow');
    assert.deepEqual(JSON.parse(def.text.split('\n')[0]!), { id: 1, url: 'https://example.com/a' });
  });

  test('columns named url, file, input; URL functions; scalar format()', async () => {
    const r = await http({
      query: `SELECT file, input, domain(url) AS d, format('{}-{}', file, input) AS f FROM ${TABLE} WHERE url LIKE '%/a' FORMAT JSONEachRow`,
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { file: 'a.txt', input: 'hello', d: 'example.com', f: 'a.txt-hello' });
  });

  test('string literals that mention file( and INTO OUTFILE are data', async () => {
    const r = await http({ query: "SELECT 'file(''/etc/passwd'')' AS a, 'x INTO OUTFILE ''y''' AS b, $$url('http://x')$$ AS c FORMAT JSONEachRow" });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { a: "file('/etc/passwd')", b: "x INTO OUTFILE 'y'", c: "url('http://x')" });
    const r2 = await http({ query: `SELECT count() FROM ${TABLE} WHERE file != 'INTO OUTFILE' AND input != 'file('` });
    assert.equal(r2.text, '2\n');
  });

  test('param_* placeholders, also as identifiers', async () => {
    const r = await http({
      query: 'SELECT id, {s:String} AS s FROM {t:Identifier} WHERE id = {id:UInt32} FORMAT JSONEachRow',
      param_s: "it's; DROP TABLE x",
      param_t: TABLE,
      param_id: '2',
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(JSON.parse(r.text), { id: 2, s: "it's; DROP TABLE x" });
    const missing = await http({ query: 'SELECT {nope:String}' });
    assert.equal(missing.headers.get('x-clickhouse-exception-code'), '456');
  });

  test('SHOW, DESCRIBE, EXPLAIN, EXISTS, WITH, UNION, window functions, merge() over default', async () => {
    const ok = async (query: string, extra: Record<string, string> = {}): Promise<string> => {
      const r = await http({ query, ...extra });
      assert.equal(r.status, 200, `${query}: ${r.text}`);
      return r.text;
    };
    assert.match(await ok('SHOW TABLES'), new RegExp(`^${TABLE}$`, 'm'));
    assert.match(await ok('SHOW TABLES FROM system LIKE \'proc%\''), /processes/); // names only
    assert.match(await ok(`DESCRIBE TABLE ${TABLE}`), /^url\tString/m);
    assert.match(await ok(`DESC ${TABLE} FORMAT JSONEachRow`), /"name":"file"/);
    assert.match(await ok("SELECT name FROM system.columns WHERE database = 'system' AND table = 'processes'"), /^query$/m); // its structure stays visible
    assert.match(await ok(`EXPLAIN SELECT count() FROM ${TABLE}`), /count\(\)/);
    assert.match(await ok('EXPLAIN AST SELECT 1'), /SelectWithUnionQuery/);
    assert.equal(await ok(`EXISTS TABLE ${TABLE}`), '1\n');
    assert.equal(await ok(`WITH ids AS (SELECT id FROM ${TABLE}) SELECT sum(id) FROM ids`), '3\n');
    assert.equal(await ok('SELECT * FROM ((SELECT 1 AS x) UNION ALL (SELECT 2)) ORDER BY x FORMAT CSV'), '1\n2\n');
    assert.equal(await ok(`SELECT id, row_number() OVER (ORDER BY id DESC) FROM ${TABLE} ORDER BY id FORMAT CSV`), '1,2\n2,1\n');
    assert.equal(await ok(`SELECT count() FROM merge('default', '^${TABLE}$')`), '2\n');
    assert.equal(await ok('SELECT arrayMap(x -> x * 2, [1, 2]), * APPLY(toString) FROM (SELECT 1 AS a) FORMAT CSV'), '"[2,4]","1"\n');
    assert.equal(await ok('SELECT count() FROM numbers(10)'), '10\n');
    assert.equal(await ok(`SELECT${NBSP}1${IDEOGRAPHIC_SPACE}AS x`), '1\n');
    assert.equal(await ok('SELECT currentDatabase()', { database: 'system' }), 'system\n');
  });

  test('@clickhouse/client: query with params and JSONEachRow', async () => {
    const c = analystClient();
    try {
      const rs = await c.query({ query: `SELECT id, file FROM ${TABLE} WHERE id > {min:UInt32} ORDER BY id`, query_params: { min: 0 }, format: 'JSONEachRow' });
      assert.deepEqual(await rs.json(), [
        { id: 1, file: 'a.txt' },
        { id: 2, file: 'b.txt' },
      ]);
    } finally {
      await c.close();
    }
  });
});

describe('M3: resource limits', () => {
  test('analyst sessions carry the limits (defaults merged with analystSettings), the service user does not', async () => {
    const q = "SELECT getSetting('max_execution_time') AS t, toString(getSetting('max_memory_usage')) AS m, toString(getSetting('max_result_rows')) AS r, toString(getSetting('max_result_bytes')) AS b, toString(getSetting('readonly')) AS ro FORMAT JSONEachRow";
    const expected = {
      t: 2,
      m: String(DEFAULT_ANALYST_SETTINGS.max_memory_usage),
      r: String(DEFAULT_ANALYST_SETTINGS.max_result_rows),
      b: String(DEFAULT_ANALYST_SETTINGS.max_result_bytes),
      ro: '1',
    };
    const pooled = await http({ query: q });
    assert.equal(pooled.status, 200, pooled.text);
    assert.deepEqual({ ...JSON.parse(pooled.text), t: Number(JSON.parse(pooled.text).t) }, expected);
    // a fresh Session (request settings + parameters) gets them too
    const fresh = await http({ query: q, output_format_json_quote_64bit_integers: '0', param_unused: '1' });
    assert.equal(fresh.status, 200, fresh.text);
    assert.deepEqual({ ...JSON.parse(fresh.text), t: Number(JSON.parse(fresh.text).t) }, { ...expected, m: expected.m });
    const svc = await http({ query: "SELECT toString(getSetting('max_execution_time')), toString(getSetting('max_result_rows'))" }, { headers: serviceHeaders });
    assert.equal(svc.text, '0\t0\n');
  });

  test('a query longer than max_execution_time is stopped by the engine', async () => {
    const started = Date.now();
    const r = await http({ query: 'SELECT count() FROM numbers(1e12)' });
    assertRefused(r, 159, /Timeout exceeded/);
    assert.ok(Date.now() - started < 15_000, 'the query was not stopped in time');
    // the Session is still usable afterwards
    const after = await http({ query: 'SELECT 1' });
    assert.equal(after.text, '1\n');
  });

  test('a result larger than max_result_rows is refused', async () => {
    const r = await http({ query: 'SELECT number FROM numbers(2000000) FORMAT Null' });
    assertRefused(r, 396, /Limit for result exceeded/);
  });
});

describe('analyst-guard units', () => {
  test('scanCalls finds calls and APPLY targets, not string contents or columns', () => {
    const { calls } = scanCalls("SELECT file, 'url(x)', `s3`(1), \"Remote\"(2), * APPLY file, COLUMNS('x') APPLY(input) FROM t");
    assert.deepEqual(calls.map((c) => c.toLowerCase()).sort(), ['columns', 'file', 'input', 'remote', 's3']);
    assert.equal(unquoteIdentifier('`fi\\x6ce`'), 'file');
    assert.equal(unquoteIdentifier('`a``b`'), 'a`b');
    assert.equal(scanCalls('SELECT `a\\nb`').identifierWithLineBreak, true);
  });

  test('deniedFunctionSet: static names, engine table functions outside the allow-list, aliases, prefixes', () => {
    const d = deniedFunctionSet(['numbers', 'format', 'someNewLakeReader'], [['AIGenerate', 'aiGenerate']]);
    for (const n of ['file', 'url', 's3', 'remote', 'somenewlakereader', 'aigenerate', 'azureblobstoragesomething', 'hdfsx']) assert.ok(d.has(n), n);
    for (const n of ['numbers', 'format', 'domain', 'urlhash', 'icebergbucket', 'lower']) assert.ok(!d.has(n), n);
  });

  test('parseAstDump / checkAst: INTO OUTFILE literal, table-function allow-list, system tables', () => {
    const ctx = { user: 'default', database: 'default', denied: deniedFunctionSet() };
    const outfile = parseAstDump(['SelectWithUnionQuery (children 2)', ' ExpressionList (children 1)', '  SelectQuery (children 1)', '   ExpressionList (children 1)', '    Literal UInt64_1', " Literal '/tmp/x'"]);
    assert.throws(() => checkAst(outfile, ctx), /INTO_OUTFILE_NOT_ALLOWED/);
    const whereLiteral = parseAstDump(['SelectWithUnionQuery (children 1)', ' ExpressionList (children 1)', '  SelectQuery (children 2)', '   ExpressionList (children 1)', '    Literal UInt64_1', '   Literal UInt64_1']);
    checkAst(whereLiteral, ctx);
    const tf = (name: string) =>
      parseAstDump(['DescribeQuery (children 1)', ' TableExpression (children 1)', `  Function ${name} (children 1)`, '   ExpressionList (children 1)', "    Literal 'x'"]);
    assert.throws(() => checkAst(tf('someNewLakeReader'), ctx), /table function someNewLakeReader\(\) is not allowed/);
    checkAst(tf('numbers'), ctx);
    assert.throws(() => parseAstDump(['SelectWithUnionQuery', '   ExpressionList']), /unexpected EXPLAIN AST line/);
  });
});

/**
 * Error classification of the ClickHouse store, without an engine: fake failures, and
 * the real HTTP client against a closed port and against small fake servers.
 * (The behaviour against the real engine is in test/contract/store-*.test.ts.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, PipelineError } from '../errors.ts';
import { silentLogger } from '../logger.ts';
import { createClickHouseStore, toStoreError } from './clickhouse-store.ts';
import { createHttpClient } from './clients.ts';

const http = { op: 'query', embedded: false, phase: 'request' } as const;
const embedded = { op: 'query', embedded: true, phase: 'request' } as const;

function chError(code: string, type: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code, type });
}

describe('toStoreError', () => {
  test('ClickHouse SQL errors: STORE_QUERY_FAILED, not retryable, code and type kept', () => {
    for (const [code, type] of [
      ['60', 'UNKNOWN_TABLE'],
      ['62', 'SYNTAX_ERROR'],
      ['53', 'TYPE_MISMATCH'],
      ['27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
      ['164', 'READONLY'],
    ] as const) {
      const e = toStoreError(chError(code, type), http);
      assert.equal(e.code, ErrorCodes.STORE_QUERY_FAILED);
      assert.equal(e.retryable, false);
      assert.equal(e.chCode, Number(code));
      assert.equal(e.chType, type);
    }
  });

  test('ClickHouse "try later" codes: STORE_UNAVAILABLE, retryable', () => {
    for (const [code, type] of [
      ['159', 'TIMEOUT_EXCEEDED'],
      ['202', 'TOO_MANY_SIMULTANEOUS_QUERIES'],
      ['241', 'MEMORY_LIMIT_EXCEEDED'],
      ['252', 'TOO_MANY_PARTS'],
    ] as const) {
      const e = toStoreError(chError(code, type), embedded);
      assert.equal(e.code, ErrorCodes.STORE_UNAVAILABLE);
      assert.equal(e.retryable, true);
      assert.equal(e.chCode, Number(code));
    }
  });

  test('chDB-native errors (clickhouseCode) are read too', () => {
    const err = Object.assign(new Error('Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE)'), { code: 'CHDB_QUERY', clickhouseCode: 60 });
    const e = toStoreError(err, embedded);
    assert.equal(e.code, ErrorCodes.STORE_QUERY_FAILED);
    assert.equal(e.chCode, 60);
    assert.equal(e.chType, 'UNKNOWN_TABLE');
  });

  test('transport failures: retryable', () => {
    for (const err of [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('Timeout error.'),
      new Error('socket hang up'),
      new Error('<html><body>502 Bad Gateway</body></html>'), // an HTTP error without a ClickHouse code
    ]) {
      const e = toStoreError(err, http);
      assert.equal(e.code, ErrorCodes.STORE_UNAVAILABLE, err.message);
      assert.equal(e.retryable, true);
      assert.equal(e.chCode, undefined);
    }
  });

  test('anything else: not retryable; after close: SHUTTING_DOWN', () => {
    assert.equal(toStoreError(new Error('weird'), embedded).retryable, false);
    assert.equal(toStoreError(new SyntaxError('Unexpected token'), { ...http, phase: 'decode' }).retryable, false);
    const closed = toStoreError(new Error('x'), { ...http, closed: true });
    assert.equal(closed.code, ErrorCodes.SHUTTING_DOWN);
    const pe = new PipelineError(ErrorCodes.VALIDATION_FAILED, 'mine');
    assert.equal(toStoreError(pe, http), pe);
  });
});

describe('HTTP store against failing peers', () => {
  let refusedUrl = '';
  let fake: Server;
  let fakeUrl = '';
  let reply: { status: number; body: string; headers?: Record<string, string> } = { status: 200, body: '' };

  before(async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    refusedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));

    fake = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(reply.status, { 'Content-Type': 'text/plain', ...reply.headers });
        res.end(reply.body);
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => fake.close(() => r()));
  });

  const storeAt = (url: string) => createClickHouseStore({ client: createHttpClient({ url, requestTimeoutMs: 5_000 }), log: silentLogger(), embedded: false });

  async function failure(p: Promise<unknown>): Promise<PipelineError> {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof PipelineError, String(e));
      return e;
    }
    assert.fail('expected a failure');
  }

  test('connection refused: STORE_UNAVAILABLE, retryable; ping false', async () => {
    const store = storeAt(refusedUrl);
    try {
      const e = await failure(store.query('SELECT 1'));
      assert.equal(e.code, ErrorCodes.STORE_UNAVAILABLE);
      assert.equal(e.retryable, true);
      const e2 = await failure(store.insert('t', [{ a: 1 }], { dedupToken: 'x' }));
      assert.equal(e2.retryable, true);
      assert.equal(await store.ping(), false);
    } finally {
      await store.close();
    }
  });

  test('503 without a ClickHouse code (a proxy): retryable; a ClickHouse error body: its code', async () => {
    const store = storeAt(fakeUrl);
    try {
      reply = { status: 503, body: 'Service Unavailable' };
      const e = await failure(store.command('SELECT 1'));
      assert.equal(e.code, ErrorCodes.STORE_UNAVAILABLE);
      assert.equal(e.retryable, true);

      reply = { status: 404, body: 'Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE) (version 26.7.2.1)\n', headers: { 'X-ClickHouse-Exception-Code': '60' } };
      const e2 = await failure(store.query('SELECT * FROM x'));
      assert.equal(e2.code, ErrorCodes.STORE_QUERY_FAILED);
      assert.equal(e2.retryable, false);
      assert.equal(e2.chCode, 60);
      assert.equal(e2.chType, 'UNKNOWN_TABLE');

      reply = { status: 500, body: 'Code: 241. DB::Exception: Memory limit exceeded. (MEMORY_LIMIT_EXCEEDED) (version 26.7.2.1)\n', headers: { 'X-ClickHouse-Exception-Code': '241' } };
      const e3 = await failure(store.insert('t', [{ a: 1 }]));
      assert.equal(e3.code, ErrorCodes.STORE_UNAVAILABLE);
      assert.equal(e3.retryable, true);
      assert.equal(e3.chCode, 241);

      reply = { status: 200, body: '{"a":1}\n{not json\n' };
      const e4 = await failure(store.query('SELECT 1'));
      assert.equal(e4.retryable, false, e4.message);
    } finally {
      await store.close();
    }
    const e5 = await failure(store.query('SELECT 1'));
    assert.equal(e5.code, ErrorCodes.SHUTTING_DOWN);
  });

  test('caller mistakes are refused before any request', async () => {
    const store = storeAt(refusedUrl);
    try {
      for (const p of [
        store.insert('bad name', [{ a: 1 }]),
        store.insert('t', [{ a: 1 }], { dedupToken: 'no spaces allowed' }),
        store.insert('t', [null as unknown as Record<string, unknown>]),
        store.query('SELECT {f:String}', { f: () => 1 }),
        store.query('SELECT {x:String}', { 'bad-name': 'x' }),
      ]) {
        const e = await failure(p);
        assert.equal(e.code, ErrorCodes.STORE_QUERY_FAILED);
        assert.equal(e.retryable, false);
      }
    } finally {
      await store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PipelineError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { buildQueryApp } from './app.ts';

function fakeStore(overrides: Partial<Store> = {}): Store & { queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    insert: async () => {},
    query: async <T,>(sql: string) => {
      queries.push(sql);
      return [] as T[];
    },
    queryJsonLines: async (sql: string) => {
      queries.push(sql);
      return '';
    },
    command: async () => {},
    ping: async () => true,
    close: async () => {},
    ...overrides,
  };
}

describe('health', () => {
  it('/healthz is 200 whenever the process runs', async () => {
    const app = buildQueryApp({ store: fakeStore({ ping: async () => false }), log: silentLogger(), ready: () => false });
    const res = await app.inject({ url: '/healthz' });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.status, 'ok');
    // The event loop's delay: no complete window yet in a fresh process, the current one filling.
    assert.equal(body.event_loop_delay.last, null);
    for (const k of ['p50_ms', 'p99_ms', 'max_ms', 'window_s']) assert.equal(typeof body.event_loop_delay.current[k], 'number', k);
  });

  it('/readyz is 503 until ready() and then 200 while the store pings', async () => {
    let ready = false;
    const app = buildQueryApp({ store: fakeStore(), log: silentLogger(), ready: () => ready });
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
    ready = true;
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
    ready = false; // shutdown began
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
  });

  it('/readyz is 503 when the store ping fails, throws or hangs', async () => {
    for (const ping of [async () => false, async () => Promise.reject(new Error('down')), () => new Promise<boolean>(() => {})]) {
      const app = buildQueryApp({ store: fakeStore({ ping }), log: silentLogger(), ready: () => true, pingTimeoutMs: 50 });
      assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
    }
  });
});

describe('store errors', () => {
  const sqlish = 'Code: 60. DB::Exception: Unknown table expression identifier traces_1h in scope SELECT sum(requests) FROM traces_1h';

  it('a retryable store error is 503 store_unavailable, with no SQL in the body', async () => {
    const fail = async (): Promise<never> => {
      throw new PipelineError(ErrorCodes.STORE_UNAVAILABLE, sqlish, { retryable: true });
    };
    const store = fakeStore({ query: fail, queryJsonLines: fail });
    const app = buildQueryApp({ store, log: silentLogger(), ready: () => true });
    for (const url of ['/v1/metrics/cost', '/v1/traces/abc', '/v1/models/unpriced']) {
      const res = await app.inject({ url });
      assert.equal(res.statusCode, 503, url);
      assert.equal(res.json().error, 'store_unavailable');
      assert.doesNotMatch(res.body, /DB::Exception|SELECT|traces_1h/);
    }
  });

  it('a non-retryable store error is 500 internal, with no SQL in the body', async () => {
    const fail = async (): Promise<never> => {
      throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, sqlish, { retryable: false });
    };
    const store = fakeStore({ query: fail, queryJsonLines: fail });
    const app = buildQueryApp({ store, log: silentLogger(), ready: () => true });
    const res = await app.inject({ url: '/v1/metrics/latency' });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error, 'internal');
    assert.doesNotMatch(res.body, /DB::Exception|SELECT|traces_1h/);
  });

  // The metrics endpoints' rows are shaped by their SQL and passed on as the engine wrote
  // them (metrics-fields.ts); the lookups still check every row they read.
  it('an unexpected row shape is a 500, not odd JSON', async () => {
    const store = fakeStore({ query: async <T,>() => [{ a_requests: 'many' }] as T[] });
    const app = buildQueryApp({ store, log: silentLogger(), ready: () => true });
    const res = await app.inject({ url: '/v1/models/unpriced' });
    assert.equal(res.statusCode, 500);
  });

  it('a bad request never reaches the store', async () => {
    const store = fakeStore();
    const app = buildQueryApp({ store, log: silentLogger(), ready: () => true });
    const res = await app.inject({ url: '/v1/metrics/cost?group_by=nope' });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json().fields, [{ field: 'group_by', message: res.json().fields[0].message }]);
    assert.match(res.json().fields[0].message, /"nope" is not a group_by column/);
    assert.equal(store.queries.length, 0);
  });
});

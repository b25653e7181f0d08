import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { buildQueryApp } from './app.ts';
import { buildFixtures, fixtureBase, toRow } from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';

/**
 * Concurrent identical dashboard requests share one engine query and one body; anything
 * else (another question, a later request) runs its own. On the real engine: the store is
 * the real one, only counted.
 */
let db: TestStore;
let app: FastifyInstance;
let queries = 0;
let base: number;

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  await db.store.insert('traces', buildFixtures(base).map(toRow));
  const counted: Store = {
    ...db.store,
    query: (sql, params) => { queries++; return db.store.query(sql, params); },
    queryJsonLines: (sql, params) => { queries++; return db.store.queryJsonLines(sql, params); },
  };
  app = buildQueryApp({ store: counted, log: silentLogger(), ready: () => true });
  await app.ready();
});
after(async () => {
  await app.close();
  await db.close();
});

const range = () => `from=${new Date(base).toISOString()}&to=${base + 7_200_000}`;

it('32 identical requests at once: one engine query, 32 equal answers', async () => {
  const url = `/v1/metrics/cost?${range()}&interval=hour&group_by=feature,model`;
  const alone = await app.inject({ url });
  assert.equal(alone.statusCode, 200);
  queries = 0;
  const answers = await Promise.all(Array.from({ length: 32 }, () => app.inject({ url })));
  assert.equal(queries, 1);
  for (const a of answers) {
    assert.equal(a.statusCode, 200);
    assert.match(String(a.headers['content-type']), /^application\/json/);
    assert.equal(a.body, alone.body, 'the same answer as a request on its own');
  }
  assert.ok(alone.json().rows.length > 0);
});

it('different questions, and requests after an answer went out, each run their own query', async () => {
  queries = 0;
  await Promise.all([
    app.inject({ url: `/v1/metrics/cost?${range()}&interval=hour` }),
    app.inject({ url: `/v1/metrics/latency?${range()}&interval=hour` }),
    app.inject({ url: `/v1/metrics/cost?${range()}&interval=hour&feature=chat` }),
    app.inject({ url: `/v1/metrics/quality?${range()}&interval=hour` }),
  ]);
  assert.equal(queries, 4);
  queries = 0;
  await app.inject({ url: `/v1/metrics/cost?${range()}&interval=hour` });
  await app.inject({ url: `/v1/metrics/cost?${range()}&interval=hour` });
  assert.equal(queries, 2, 'nothing is cached once answered');
});

it('a failing shared query fails every joiner with its own error response', async () => {
  const boom = async (): Promise<never> => { queries++; await new Promise((r) => setTimeout(r, 20)); throw new Error('boom'); };
  const failing: Store = { ...db.store, query: boom, queryJsonLines: boom };
  const bad = buildQueryApp({ store: failing, log: silentLogger(), ready: () => true });
  await bad.ready();
  queries = 0;
  const answers = await Promise.all(Array.from({ length: 5 }, () => bad.inject({ url: `/v1/metrics/errors?${range()}` })));
  assert.equal(queries, 1);
  for (const a of answers) assert.equal(a.statusCode, 500);
  await bad.close();
});

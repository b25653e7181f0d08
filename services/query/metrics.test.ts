import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import { buildQueryApp } from './app.ts';
import type { GroupColumn } from './params.ts';
import {
  buildFixtures,
  expectedGroups,
  fixtureBase,
  groupKey,
  picoToClickHouseText,
  toRow,
  UNPRICED_MODEL,
  type TraceFixture,
} from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';


type Body = { from: string; to: string; interval: string; resolution: string; group_by: string[]; truncated: boolean; rows: Record<string, any>[] };

let db: TestStore;
let app: FastifyInstance;
let base: number;
let fixtures: TraceFixture[];
const mixed = (t: TraceFixture) => t.feature !== 'latency-probe';

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  fixtures = buildFixtures(base);
  await db.store.insert('traces', fixtures.map(toRow));
  app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
  await app.ready();
});

after(async () => {
  await app.close();
  await db.close();
});

async function get(path: string, query: Record<string, string | string[]>): Promise<{ status: number; body: Body }> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of [v].flat()) qs.append(k, one);
  const res = await app.inject({ method: 'GET', url: `${path}?${qs}` });
  return { status: res.statusCode, body: res.json() };
}

function range(): Record<string, string> {
  return { from: new Date(base).toISOString(), to: String(base + 2 * HOUR_MS) };
}

/** Every returned row equals the reference aggregate of its group, and no group is missing. */
function assertExact(
  body: Body,
  opts: { interval: 'minute' | 'hour' | 'day' | 'none'; groupBy: GroupColumn[]; filter?: (t: TraceFixture) => boolean },
  check: (row: Record<string, any>, e: NonNullable<ReturnType<ReturnType<typeof expectedGroups>['get']>>) => void,
): void {
  const expected = expectedGroups(fixtures, opts);
  assert.equal(body.rows.length, expected.size, 'one row per non-empty group');
  for (const row of body.rows) {
    const dims: Partial<Record<GroupColumn, string>> = {};
    for (const g of opts.groupBy) dims[g] = row[g];
    const key = groupKey(opts.interval === 'none' ? null : Date.parse(row.bucket), dims, opts.groupBy);
    const e = expected.get(key);
    assert.ok(e, `unexpected group ${key}`);
    assert.equal(row.requests, e.requests, `requests of ${key}`);
    check(row, e);
  }
  const keys = body.rows.map((r) => (opts.interval === 'none' ? '' : r.bucket) + opts.groupBy.map((g) => `|${r[g]}`).join(''));
  assert.deepEqual(keys, [...keys].sort(), 'rows ordered by bucket, then group columns');
}

function checkCost(row: Record<string, any>, e: ReturnType<typeof expectedGroups> extends Map<string, infer V> ? V : never): void {
  // A group of only unpriced calls has no cost (null), never "0".
  const nothingPriced = e.unpriced === e.requests;
  assert.equal(row.cost_usd, nothingPriced ? null : picoToClickHouseText(e.costPico));
  assert.equal(row.cost_usd_approx, nothingPriced ? null : Number(picoToClickHouseText(e.costPico)));
  assert.equal(row.client_cost_usd, picoToClickHouseText(e.clientCostPico));
  assert.equal(row.unpriced_requests, e.unpriced);
  assert.equal(row.cost_complete, e.unpriced === 0);
  assert.equal(row.input_tokens, e.input_tokens);
  assert.equal(row.output_tokens, e.output_tokens);
  assert.equal(row.cached_input_tokens, e.cached_input_tokens);
  assert.equal(row.cache_write_tokens, e.cache_write_tokens);
  assert.equal(row.reasoning_tokens, e.reasoning_tokens);
}

describe('GET /v1/metrics/cost', () => {
  it('sums exactly per hour with no grouping', async () => {
    const { status, body } = await get('/v1/metrics/cost', { ...range(), interval: 'hour' });
    assert.equal(status, 200);
    assert.equal(body.interval, 'hour');
    assert.equal(body.resolution, 'hour');
    assert.deepEqual(body.group_by, []);
    assert.equal(body.from, new Date(base).toISOString());
    assert.equal(body.to, new Date(base + 2 * HOUR_MS).toISOString());
    assert.equal(body.rows.length, 2);
    assertExact(body, { interval: 'hour', groupBy: [] }, checkCost);
  });

  it('sums exactly per minute by feature and model (traces_1m)', async () => {
    const { status, body } = await get('/v1/metrics/cost', { ...range(), interval: 'minute', group_by: 'feature,model' });
    assert.equal(status, 200);
    assert.equal(body.resolution, 'minute');
    assertExact(body, { interval: 'minute', groupBy: ['feature', 'model'] }, checkCost);
  });

  it('sums exactly per day by environment and prompt_version', async () => {
    const { status, body } = await get('/v1/metrics/cost', {
      from: String(base - DAY_MS),
      to: String(base + 3 * HOUR_MS),
      interval: 'day',
      group_by: 'environment,prompt_version',
    });
    assert.equal(status, 200);
    assert.equal(Date.parse(body.from) % DAY_MS, 0, 'from aligned to a UTC day');
    assertExact(body, { interval: 'day', groupBy: ['environment', 'prompt_version'] }, checkCost);
  });

  it('counts the unpriced model instead of costing it at $0', async () => {
    const { body } = await get('/v1/metrics/cost', { ...range(), interval: 'none', group_by: 'model' });
    const unpriced = body.rows.find((r) => r.model === UNPRICED_MODEL);
    assert.ok(unpriced);
    assert.equal(unpriced.unpriced_requests, 16);
    assert.equal(unpriced.requests, 16);
    assert.equal(unpriced.cost_usd, null, 'no priced call in the group: cost is unknown, not $0');
    assert.equal(unpriced.cost_complete, false);
    const priced = body.rows.find((r) => r.model === 'claude-3-5-sonnet');
    assert.equal(priced?.unpriced_requests, 0);
    assert.equal(priced?.cost_complete, true);
    assertExact(body, { interval: 'none', groupBy: ['model'] }, checkCost);
  });

  it('applies repeated and comma-list filters on every dimension', async () => {
    const { status, body } = await get('/v1/metrics/cost', {
      ...range(),
      interval: 'hour',
      group_by: 'feature',
      feature: ['chat', 'search'],
      model: 'gpt-4o,claude-3-5-sonnet',
      environment: 'prod',
      prompt_version: ['v1', 'v2'],
    });
    assert.equal(status, 200);
    const filter = (t: TraceFixture) =>
      ['chat', 'search'].includes(t.feature) && ['gpt-4o', 'claude-3-5-sonnet'].includes(t.model) && t.environment === 'prod';
    assertExact(body, { interval: 'hour', groupBy: ['feature'], filter }, checkCost);
    assert.ok(body.rows.length > 0);
  });

  it('defaults to the last 24 hours by hour', async () => {
    const { status, body } = await get('/v1/metrics/cost', {});
    assert.equal(status, 200);
    assert.equal(body.interval, 'hour');
    assertExact(body, { interval: 'hour', groupBy: [] }, checkCost);
  });

  it('aligns an unaligned range outward to whole buckets and says so', async () => {
    const { body } = await get('/v1/metrics/cost', {
      from: new Date(base + 10 * MINUTE_MS).toISOString(),
      to: new Date(base + HOUR_MS + 1).toISOString(),
      interval: 'hour',
    });
    assert.equal(body.from, new Date(base).toISOString());
    assert.equal(body.to, new Date(base + 2 * HOUR_MS).toISOString());
    assertExact(body, { interval: 'hour', groupBy: [] }, checkCost);
  });

  it('interval=none reads traces_1m up to 7 days (unless whole hours do), traces_1h beyond, with equal totals', async () => {
    // Fixtures start at `base`: a range starting a minute earlier holds the same traces.
    const short = await get('/v1/metrics/cost', { from: String(base - MINUTE_MS), to: String(base + 2 * HOUR_MS), interval: 'none' });
    const hours = await get('/v1/metrics/cost', { ...range(), interval: 'none' });
    const long = await get('/v1/metrics/cost', { from: String(base - 8 * DAY_MS), to: String(base + 2 * HOUR_MS), interval: 'none' });
    assert.equal(short.body.resolution, 'minute');
    assert.equal(hours.body.resolution, 'hour', 'whole hours, no dimension but feature/model: traces_fm_1h');
    assert.equal(long.body.resolution, 'hour');
    assert.deepEqual(short.body.rows, long.body.rows);
    assert.deepEqual(hours.body.rows, long.body.rows);
    assertExact(long.body, { interval: 'none', groupBy: [] }, checkCost);
  });

  it('returns no rows (not a row of zeros) for a filter that matches nothing', async () => {
    for (const interval of ['minute', 'hour', 'day', 'none']) {
      const { status, body } = await get('/v1/metrics/overview', { ...range(), interval, feature: 'no-such-feature' });
      assert.equal(status, 200);
      assert.deepEqual(body.rows, [], interval);
    }
  });

  it('caps the rows at maxRows and says truncated', async () => {
    const small = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true, maxRows: 3 });
    const res = await small.inject({ url: `/v1/metrics/cost?interval=minute&from=${base}&to=${base + 2 * HOUR_MS}` });
    assert.equal(res.json().rows.length, 3);
    assert.equal(res.json().truncated, true);
    await small.close();
    const { body } = await get('/v1/metrics/cost', { ...range(), interval: 'minute' });
    assert.equal(body.truncated, false);
  });

  it('rejects interval=minute over more than 7 days with a 400 naming interval', async () => {
    const res = await app.inject({ url: `/v1/metrics/cost?interval=minute&from=${base - 8 * DAY_MS}&to=${base}` });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().fields[0].field, 'interval');
  });
});

describe('GET /v1/metrics/errors', () => {
  it('counts errors and the rate per feature, by minute (the interval picked for a 2 h range)', async () => {
    const { status, body } = await get('/v1/metrics/errors', { ...range(), group_by: 'feature' });
    assert.equal(status, 200);
    assert.equal(body.interval, 'minute', '120 buckets: minute is the finest interval within 1,000 buckets');
    let totalErrors = 0;
    assertExact(body, { interval: 'minute', groupBy: ['feature'] }, (row, e) => {
      assert.equal(row.errors, e.errors);
      assert.equal(row.error_rate, e.errors / e.requests);
      totalErrors += row.errors;
    });
    assert.equal(totalErrors, 7, 'fixtures i % 7 === 3 are errors');
  });
});

describe('GET /v1/metrics/tokens', () => {
  it('sums every token kind per minute and prompt_version', async () => {
    const { status, body } = await get('/v1/metrics/tokens', { ...range(), interval: 'minute', group_by: 'prompt_version' });
    assert.equal(status, 200);
    assertExact(body, { interval: 'minute', groupBy: ['prompt_version'] }, (row, e) => {
      assert.equal(row.input_tokens, e.input_tokens);
      assert.equal(row.output_tokens, e.output_tokens);
      assert.equal(row.cached_input_tokens, e.cached_input_tokens);
      assert.equal(row.cache_write_tokens, e.cache_write_tokens);
      assert.equal(row.reasoning_tokens, e.reasoning_tokens);
      assert.equal(row.total_tokens, e.input_tokens + e.output_tokens);
      assert.equal(row.cost_usd, undefined, 'tokens does not carry cost');
    });
  });
});

describe('GET /v1/metrics/latency', () => {
  const near = (actual: number, expected: number, tol: number, what: string) =>
    assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} not within ${tol} of ${expected}`);

  for (const interval of ['none', 'hour'] as const) {
    it(`quantiles of a known 1..1000 ms distribution (interval=${interval})`, async () => {
      const { status, body } = await get('/v1/metrics/latency', { ...range(), interval, feature: 'latency-probe' });
      assert.equal(status, 200);
      assert.equal(body.rows.length, 1);
      const r = body.rows[0];
      assert.equal(r.requests, 1000);
      assert.equal(r.latency_max_ms, 1000);
      assert.equal(r.latency_avg_ms, 500.5);
      // t-digest is approximate: 2 % of the range.
      near(r.latency_p50_ms, 500, 20, 'p50');
      near(r.latency_p90_ms, 900, 20, 'p90');
      near(r.latency_p95_ms, 950, 20, 'p95');
      near(r.latency_p99_ms, 990, 20, 'p99');
      // TTFT only on even latencies 2..1000.
      near(r.ttft_p50_ms, 500, 20, 'ttft p50');
      near(r.ttft_p95_ms, 950, 20, 'ttft p95');
    });
  }

  it('exact avg and max per minute and model; TTFT null where no call reported it', async () => {
    const { body } = await get('/v1/metrics/latency', { ...range(), interval: 'minute', group_by: 'model' });
    assertExact(body, { interval: 'minute', groupBy: ['model'] }, (row, e) => {
      assert.ok(Math.abs(row.latency_avg_ms - e.latencySum / e.requests) < 1e-9);
      assert.equal(row.latency_max_ms, e.latencyMax);
      assert.ok(row.latency_p50_ms <= row.latency_p99_ms && row.latency_p99_ms <= row.latency_max_ms);
    });
    let nullTtft = 0;
    for (const row of body.rows) {
      const minute = Date.parse(row.bucket);
      const hasTtft = fixtures.some(
        (t) => t.model === row.model && Math.floor(t.tsMs / MINUTE_MS) * MINUTE_MS === minute && t.ttft_ms !== null,
      );
      if (hasTtft) assert.equal(typeof row.ttft_p50_ms, 'number');
      else {
        assert.equal(row.ttft_p50_ms, null);
        assert.equal(row.ttft_p95_ms, null);
        nullTtft++;
      }
    }
    assert.ok(nullTtft > 0, 'the fixtures have minutes where a model reported no TTFT');
  });
});

describe('GET /v1/metrics/overview', () => {
  it('carries cost, errors, tokens and latency in one row', async () => {
    const { status, body } = await get('/v1/metrics/overview', { ...range(), interval: 'none', feature: 'chat,search,summarize' });
    assert.equal(status, 200);
    assertExact(body, { interval: 'none', groupBy: [], filter: mixed }, (row, e) => {
      checkCost(row, e);
      assert.equal(row.errors, e.errors);
      assert.equal(row.latency_max_ms, e.latencyMax);
      assert.equal(row.total_tokens, e.input_tokens + e.output_tokens);
      assert.equal(typeof row.latency_p95_ms, 'number');
    });
  });
});

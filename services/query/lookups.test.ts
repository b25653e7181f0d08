import { HOUR_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../core/logger.ts';
import { buildQueryApp } from './app.ts';
import { buildFixtures, fixtureBase, picoToClickHouseText, toRow, UNPRICED_MODEL, type TraceFixture } from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';


let db: TestStore;
let app: FastifyInstance;
let base: number;
let fixtures: TraceFixture[];

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  fixtures = buildFixtures(base).filter((t) => t.feature !== 'latency-probe');
  await db.store.insert('traces', fixtures.map(toRow));
  app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
  await app.ready();
});

after(async () => {
  await app.close();
  await db.close();
});

describe('GET /v1/traces/:trace_id', () => {
  it('returns the stored row with exact decimal costs and ISO times', async () => {
    const t = fixtures.find((f) => f.costPico !== null && f.clientCostPico !== null && f.ttft_ms !== null)!;
    const res = await app.inject({ url: `/v1/traces/${t.trace_id}` });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.trace_id, t.trace_id);
    assert.equal(body.ts, new Date(t.tsMs).toISOString());
    assert.equal(body.model, t.model);
    assert.equal(body.feature, t.feature);
    assert.equal(body.cost_usd, picoToClickHouseText(t.costPico!));
    assert.equal(body.client_cost_usd, picoToClickHouseText(t.clientCostPico!));
    assert.equal(body.cost_breakdown_usd.input, picoToClickHouseText(t.costPico! / 2n));
    assert.equal(body.input_tokens, t.input_tokens);
    assert.equal(body.time_to_first_token_ms, t.ttft_ms);
    assert.deepEqual(body.metadata, { tenant: 'acme', trace: t.trace_id });
    assert.equal(body.input, `prompt of ${t.trace_id}`);
  });

  it('returns cost_usd null (not 0) for an unpriced model', async () => {
    const t = fixtures.find((f) => f.model === UNPRICED_MODEL)!;
    const body = (await app.inject({ url: `/v1/traces/${t.trace_id}` })).json();
    assert.equal(body.cost_usd, null);
    assert.equal(body.pricing_status, 'unpriced');
  });

  it('returns one row for a trace whose replay slipped into the table twice', async () => {
    const t = fixtures[0];
    await db.store.insert('traces', [toRow(t)], { dedupToken: 'replay-of-t-000' });
    const res = await app.inject({ url: `/v1/traces/${t.trace_id}` });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().trace_id, t.trace_id);
  });

  it('404s with a clear message for an unknown trace', async () => {
    const res = await app.inject({ url: '/v1/traces/does-not-exist' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, 'not_found');
    assert.match(res.json().message, /no trace with trace_id "does-not-exist"/);
  });
});

describe('GET /v1/models/unpriced', () => {
  it('lists the unpriced model with its event count, first/last seen and features', async () => {
    const res = await app.inject({ url: '/v1/models/unpriced' });
    assert.equal(res.statusCode, 200);
    const unpriced = fixtures.filter((f) => f.costPico === null);
    const times = unpriced.map((f) => f.tsMs);
    assert.deepEqual(res.json(), {
      from: null,
      to: null,
      rows: [
        {
          model: UNPRICED_MODEL,
          provider: 'acme-ai',
          events: unpriced.length,
          first_seen: new Date(Math.min(...times)).toISOString(),
          last_seen: new Date(Math.max(...times)).toISOString(),
          features: [...new Set(unpriced.map((f) => f.feature))].sort(),
        },
      ],
    });
  });

  it('keeps only models seen within from..to', async () => {
    const inRange = await app.inject({ url: `/v1/models/unpriced?from=${base}&to=${base + HOUR_MS}` });
    assert.equal(inRange.json().rows.length, 1);
    const later = await app.inject({ url: `/v1/models/unpriced?from=${base + 3 * HOUR_MS}&to=${base + 4 * HOUR_MS}` });
    assert.equal(later.statusCode, 200);
    assert.deepEqual(later.json().rows, []);
  });

  it('400s on a bad or inverted range', async () => {
    const bad = await app.inject({ url: '/v1/models/unpriced?from=last-tuesday' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().fields[0].field, 'from');
    const inverted = await app.inject({ url: `/v1/models/unpriced?from=${base}&to=${base - 1}` });
    assert.equal(inverted.statusCode, 400);
  });
});

describe('SQL injection', () => {
  const PAYLOADS = [
    "x' OR 1=1 --",
    "'; DROP TABLE traces; --",
    "x\\' OR '1'='1",
    "chat') OR ('1'='1",
    '{feature:String}',
    "' UNION SELECT name, name FROM system.tables --",
    'chat\u0000',
    '1; SELECT 1',
    '`feature`',
  ];
  const METRIC_PARAMS = ['from', 'to', 'interval', 'group_by', 'feature', 'model', 'prompt_version', 'environment'];
  const FILTERS = new Set(['feature', 'model', 'prompt_version', 'environment']);

  function assertSafe(status: number, text: string, where: string): void {
    assert.ok(status === 200 || status === 400, `${where}: status ${status}`);
    assert.doesNotMatch(text, /DB::Exception|FROM traces|FROM unpriced_models|quantilesTDigest|Code: \d+/, `${where}: leaks SQL`);
  }

  it('every metrics parameter: 400 or empty rows, never a break', async () => {
    for (const param of METRIC_PARAMS) {
      for (const payload of PAYLOADS) {
        const qs = new URLSearchParams({ [param]: payload });
        const res = await app.inject({ url: `/v1/metrics/overview?${qs}` });
        const where = `${param}=${JSON.stringify(payload)}`;
        assertSafe(res.statusCode, res.body, where);
        if (FILTERS.has(param)) {
          assert.equal(res.statusCode, 200, where);
          assert.deepEqual(res.json().rows, [], `${where} matches nothing`);
        } else {
          assert.equal(res.statusCode, 400, where);
          assert.equal(res.json().fields[0].field, param, where);
        }
      }
    }
  });

  it('trace_id and the unpriced range: 404 / 400, never a break', async () => {
    for (const payload of PAYLOADS) {
      const res = await app.inject({ url: `/v1/traces/${encodeURIComponent(payload)}` });
      assert.ok([400, 404].includes(res.statusCode), `trace_id=${JSON.stringify(payload)}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /DB::Exception|FROM traces/);
      for (const param of ['from', 'to']) {
        const r = await app.inject({ url: `/v1/models/unpriced?${new URLSearchParams({ [param]: payload })}` });
        assert.equal(r.statusCode, 400);
        assert.equal(r.json().fields[0].field, param);
      }
    }
  });

  it('leaves the data intact', async () => {
    const [final] = await db.store.query<{ n: number | string }>('SELECT count() AS n FROM traces FINAL');
    assert.equal(Number(final.n), fixtures.length);
    // The rollups count every row inserted into traces (the replay above included).
    const [raw] = await db.store.query<{ n: number | string }>('SELECT count() AS n FROM traces');
    const res = await app.inject({ url: '/v1/metrics/cost?interval=none' });
    assert.equal(res.json().rows[0].requests, Number(raw.n));
  });
});

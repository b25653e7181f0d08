import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { silentLogger } from '../../services/core/logger.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { printFigures, SEED } from './hostile-support.ts';

/**
 * SQL injection on every query endpoint and every parameter, on the embedded pipeline
 * (production wiring, real chDB). The unit suites already cover the metrics, lookup and
 * quality parameters against a bare store (services/query/lookups.test.ts,
 * quality.test.ts); this adds the alert and silence routes (GET /v1/alerts, POST/GET
 * /v1/silences, DELETE /v1/silences/:id), parameter names, repeated parameters and
 * path parameters, and re-runs the others end to end. Every answer is a 4xx naming the
 * parameter, or a harmless 2xx (no rows matched; a silence stores the text verbatim),
 * never a 5xx or a ClickHouse message; afterwards every table is intact.
 */
const dir = tempDir('hostile-sqli');
const CH_PASSWORD = `sqli-${SEED}`;
let pipeline: EmbeddedPipeline;
let ch: ClickHouseClient;
const now = Date.now();
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

const PAYLOADS = [
  "' OR 1=1 --",
  "x' OR '1'='1",
  "'); DROP TABLE traces; --",
  '); DROP TABLE traces; --',
  "chat') OR ('1'='1",
  "' UNION SELECT name FROM system.tables --",
  '{x:String}',
  '{feature:String}',
  '{limit:UInt32}',
  '\\',
  "\\'",
  "chat\\' OR 1=1 --",
  '\u2019 OR 1=1 --', // right single quotation mark
  '\u02bc OR 1=1 --', // modifier letter apostrophe
  '\uff07 OR 1=1 --', // fullwidth apostrophe
  '" OR ""="',
  '`traces`',
  'chat\u0000; DROP TABLE traces',
  '1; SELECT 1',
  "'; KILL QUERY WHERE 1 --",
  "' SETTINGS readonly=0 --",
  '$$ OR 1=1 $$',
  '/* */ OR 1=1',
  "'||(SELECT count() FROM traces)||'",
];

async function inject(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
  const res = await pipeline.app.inject({ method, url, ...(body !== undefined ? { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  let json: any = null;
  try {
    json = JSON.parse(res.body);
  } catch {
    /* asserted below */
  }
  return { status: res.statusCode, body: json, text: res.body };
}

const figures = { runs: 0, inputs: 0, '2xx': 0, '4xx': 0, '5xx': 0, payloads: PAYLOADS.length, params: 0, silences_created: 0 };
const params = new Set<string>();

/** The answer with every echo of the payload (JSON-escaped once or twice) removed: echoing the input is fine. */
function withoutEcho(text: string, payload: string): string {
  const once = JSON.stringify(payload).slice(1, -1);
  const twice = JSON.stringify(JSON.stringify(payload)).slice(3, -3);
  return text.split(twice).join('').split(once).join('');
}

function check(where: string, r: { status: number; body: any; text: string }, payload = ''): void {
  figures.inputs++;
  if (r.status < 300) figures['2xx']++;
  else if (r.status < 500) figures['4xx']++;
  else figures['5xx']++;
  assert.ok(r.status < 500, `${where}: ${r.status} ${r.text.slice(0, 300)}`);
  assert.ok(r.body !== null, `${where}: not JSON`);
  assert.doesNotMatch(payload ? withoutEcho(r.text, payload) : r.text, /DB::Exception|Code: \d+|SYNTAX_ERROR|UNKNOWN_TABLE|FROM (traces|alerts|silences|scores)\b/, `${where}: leaks SQL or ClickHouse errors`);
}

function assertNames(where: string, r: { body: any }, field: string): void {
  const fields = (r.body?.fields ?? []) as { field: string }[];
  assert.ok(fields.some((f) => f.field === field), `${where}: the 400 names ${field}: ${JSON.stringify(r.body)}`);
}

interface Snapshot {
  tables: string[];
  counts: Record<string, number>;
}
async function snapshot(): Promise<Snapshot> {
  const q = async (sql: string) => (await (await ch.query({ query: sql, format: 'JSONEachRow' })).json()) as Record<string, string>[];
  const tables = (await q('SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name')).map((r) => r.name);
  const counts: Record<string, number> = {};
  for (const [name, sql] of Object.entries({
    traces: 'SELECT count() AS n FROM traces',
    traces_1m: 'SELECT sum(requests) AS n FROM traces_1m',
    scores: 'SELECT count() AS n FROM scores',
    alerts: 'SELECT count() AS n FROM alerts',
    silence_ids: 'SELECT uniqExact(silence_id) AS n FROM silences',
    dlq: 'SELECT count() AS n FROM dlq',
  })) {
    counts[name] = Number((await q(sql))[0].n);
  }
  return { tables, counts };
}

let before_: Snapshot;
let seededSilence: string;

before(async () => {
  const config = loadConfig({ DATA_DIR: join(dir.path, 'data'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', CLICKHOUSE_SERVICE_PASSWORD: CH_PASSWORD, ANOMALY_ENABLED: 'false' });
  pipeline = await startEmbeddedPipeline(config, silentLogger());
  ch = createClient({ url: pipeline.clickhouseUrl, username: config.CLICKHOUSE_SERVICE_USER, password: CH_PASSWORD });
  // Data every route can see: traces, feedback, alerts (written as the anomaly service writes them), a silence.
  const traces = ['chat', 'summarize'].flatMap((feature, f) =>
    ['v1', 'v2'].map((pv, p) => ({ trace_id: `sq-${f}-${p}`, timestamp: iso(10 * 60_000), model: 'gpt-4o', feature, prompt_version: pv, input_tokens: 100, output_tokens: 10, latency_ms: 100 })),
  );
  assert.equal((await inject('POST', '/v1/traces', { traces })).status, 202);
  assert.equal((await inject('POST', '/v1/feedback', { feedback: [{ trace_id: 'sq-0-0', value: 'up' }, { trace_id: 'sq-0-1', value: 0.2 }] })).status, 202);
  const at = (msAgo: number) => new Date(now - msAgo).toISOString().replace('T', ' ').replace('Z', '');
  await ch.insert({
    table: 'alerts',
    format: 'JSONEachRow',
    values: ['pending', 'firing', 'resolved'].map((state, i) => ({
      alert_id: `a-${i}`, rule: 'anomaly', metric: 'cost_usd', feature: 'chat', model: 'gpt-4o', state, previous: '', at: at(30 * 60_000 - i * 60_000),
      started_at: at(30 * 60_000), severity: 'critical', direction: 'up', value: 1, expected: 0.5, score: 4, deviation: '', summary: 'cost up', detector: 'ewma',
      prompt_version: '', recent: [], covered_by: '', silenced: 0, silence_id: '',
    })),
  });
  const s = await inject('POST', '/v1/silences', { feature: 'chat', comment: 'seeded', duration_minutes: 600 });
  assert.equal(s.status, 201, s.text);
  seededSilence = s.body.silence_id;
  before_ = await snapshot();
  assert.ok(before_.counts.traces === 4 && before_.counts.alerts === 3 && before_.counts.scores === 2 && before_.counts.silence_ids === 1, JSON.stringify(before_.counts));
  console.log(`hostile sql injection: ${PAYLOADS.length} payloads (seed ${SEED} for the figures line only; the payloads are fixed)`);
});

after(async () => {
  await ch?.close();
  await pipeline?.stop();
  dir.cleanup();
});

/** Parameter → what a payload there must give: a 400 naming it, or a 200 that matched nothing. */
type Expect = '400' | 'no-rows' | '400-or-no-rows';
interface Route {
  path: string;
  base: Record<string, string>;
  params: Record<string, Expect>;
  rows: (body: any, param: string) => unknown[];
}

const METRIC_PARAMS: Record<string, Expect> = {
  from: '400', to: '400', interval: '400', group_by: '400', feature: 'no-rows', model: 'no-rows', prompt_version: 'no-rows', environment: 'no-rows',
};
const from = iso(3_600_000);
const ROUTES: Route[] = [
  ...['cost', 'latency', 'errors', 'tokens', 'overview'].map((m) => ({ path: `/v1/metrics/${m}`, base: { from, interval: 'none' }, params: METRIC_PARAMS, rows: (b: any) => b.rows })),
  {
    path: '/v1/metrics/quality',
    base: { from, interval: 'none' },
    params: { ...METRIC_PARAMS, name: 'no-rows', source: '400' },
    rows: (b: any) => b.rows,
  },
  {
    path: '/v1/quality/compare',
    base: { feature: 'chat', baseline: 'v1', candidate: 'v2', from },
    params: { feature: '400-or-no-rows', baseline: 'no-rows', candidate: 'no-rows', name: 'no-rows', source: '400', from: '400', to: '400' },
    // an injected prompt version matches nothing: that side has no scores
    rows: (b: any, p: string) => (p === 'baseline' || p === 'candidate' ? b.scores.filter((s: any) => s[p].count > 0) : b.scores),
  },
  { path: '/v1/models/unpriced', base: {}, params: { from: '400', to: '400' }, rows: (b: any) => b.rows },
  {
    path: '/v1/alerts',
    base: { from: iso(3_600_000) },
    params: { state: '400', feature: 'no-rows', model: 'no-rows', metric: 'no-rows', rule: 'no-rows', from: '400', to: '400', limit: '400' },
    rows: (b: any) => b.rows,
  },
];

test('the seeded data is visible, so "no rows" below means "matched nothing", not "saw nothing"', async () => {
  const alerts = await inject('GET', `/v1/alerts?from=${encodeURIComponent(iso(3_600_000))}&feature=chat`);
  assert.equal(alerts.body.rows.length, 3);
  const open = await inject('GET', '/v1/alerts?state=open');
  assert.equal(open.body.rows.length, 0, 'the latest change is resolved');
  const cost = await inject('GET', `/v1/metrics/cost?from=${encodeURIComponent(from)}&interval=none&feature=chat`);
  assert.equal(cost.body.rows[0].requests, 2);
  const q = await inject('GET', `/v1/metrics/quality?from=${encodeURIComponent(from)}&interval=none&source=user`);
  assert.equal(q.body.rows.reduce((s: number, r: any) => s + r.count, 0), 2);
  const cmp = await inject('GET', `/v1/quality/compare?feature=chat&baseline=v1&candidate=v2&from=${encodeURIComponent(from)}`);
  assert.ok(cmp.body.scores.length > 0);
  assert.equal((await inject('GET', '/v1/silences')).body.rows.length, 1);
});

test('every GET parameter of every query route, once and repeated: 400 naming it, or nothing matched', async () => {
  for (const route of ROUTES) {
    for (const [param, expect] of Object.entries(route.params)) {
      params.add(`${route.path} ${param}`);
      for (const payload of PAYLOADS) {
        // Repeated: the first few payloads twice in one query string (arrays where scalars are expected).
        for (const repeated of PAYLOADS.indexOf(payload) < 8 ? [false, true] : [false]) {
          figures.runs++;
          const qs = new URLSearchParams(route.base);
          qs.set(param, payload);
          if (repeated) qs.append(param, `${payload} `); // a second, different hostile value
          const where = `GET ${route.path} ${param}=${JSON.stringify(payload)}${repeated ? ' (repeated)' : ''}`;
          const r = await inject('GET', `${route.path}?${qs}`);
          check(where, r, payload);
          if (r.status === 400) {
            assert.ok(expect !== 'no-rows' || repeated, `${where}: a filter value is data, not an error: ${r.text}`);
            assertNames(where, r, param);
          } else {
            assert.equal(r.status, 200, where);
            assert.notEqual(expect, '400', `${where}: accepted ${r.text.slice(0, 200)}`);
            assert.deepEqual(route.rows(r.body, param), [], `${where}: matched something`);
          }
        }
      }
    }
    // The payload as a parameter name.
    for (const payload of PAYLOADS) {
      figures.runs++;
      const r = await inject('GET', `${route.path}?${encodeURIComponent(payload)}=1&${new URLSearchParams(route.base)}`);
      check(`GET ${route.path} name ${JSON.stringify(payload)}`, r, payload);
      assert.equal(r.status, 400);
      assertNames(`GET ${route.path} name ${JSON.stringify(payload)}`, r, payload);
    }
  }
});

test('path parameters: GET /v1/traces/:trace_id and DELETE /v1/silences/:id', async () => {
  params.add('/v1/traces/:trace_id').add('/v1/silences/:id');
  for (const payload of [...PAYLOADS, `${'00000000-0000-4000-8000-000000000000'}' OR 1=1 --`, `${seededSilence}' OR '1'='1`, `${seededSilence}%00`]) {
    figures.runs += 2;
    const t = await inject('GET', `/v1/traces/${encodeURIComponent(payload)}`);
    check(`GET /v1/traces/${payload}`, t, payload);
    assert.ok(t.status === 404 || t.status === 400, `trace ${payload}: ${t.status}`);
    const d = await inject('DELETE', `/v1/silences/${encodeURIComponent(payload)}`);
    check(`DELETE /v1/silences/${payload}`, d, payload);
    assert.equal(d.status, 400, `DELETE ${payload}: ${d.text}`);
    assertNames(`DELETE /v1/silences/${payload}`, d, 'id');
  }
  // A well-formed id that is not there.
  const d = await inject('DELETE', '/v1/silences/00000000-0000-4000-8000-000000000000');
  check('DELETE unknown uuid', d);
  assert.equal(d.status, 404);
});

test('POST /v1/silences: text fields store the payload verbatim (bound, not spliced); time fields answer 400 naming them', async () => {
  const created: { id: string; field: string; payload: string }[] = [];
  for (const field of ['rule', 'metric', 'feature', 'model', 'comment', 'created_by']) {
    params.add(`POST /v1/silences ${field}`);
    for (const payload of PAYLOADS) {
      figures.runs++;
      const body: Record<string, unknown> = { feature: 'zz-none', comment: 'injection probe', duration_minutes: 5, [field]: payload };
      const r = await inject('POST', '/v1/silences', body);
      check(`POST /v1/silences ${field}=${JSON.stringify(payload)}`, r, payload);
      assert.equal(r.status, 201, `${field}=${payload}: ${r.text}`);
      assert.equal(r.body[field], payload);
      created.push({ id: r.body.silence_id, field, payload });
    }
  }
  for (const field of ['starts_at', 'ends_at', 'duration_minutes']) {
    params.add(`POST /v1/silences ${field}`);
    for (const payload of PAYLOADS) {
      figures.runs++;
      const body: Record<string, unknown> = { feature: 'zz-none', comment: 'injection probe', [field]: payload };
      if (field !== 'duration_minutes') body.duration_minutes = field === 'ends_at' ? undefined : 5;
      const r = await inject('POST', '/v1/silences', body);
      check(`POST /v1/silences ${field}=${JSON.stringify(payload)}`, r, payload);
      assert.equal(r.status, 400, `${field}=${payload}: ${r.text}`);
      assertNames(`POST /v1/silences ${field}`, r, field);
    }
  }
  figures.silences_created = created.length;
  // Read back through the API: every silence holds exactly what was sent.
  const listed = (await inject('GET', '/v1/silences')).body.rows as Record<string, string>[];
  const byId = new Map(listed.map((s) => [s.silence_id, s]));
  for (const c of created) {
    const s = byId.get(c.id);
    assert.ok(s, `silence ${c.id} is listed`);
    assert.equal(s[c.field], c.payload, `${c.field} stored verbatim`);
  }
  // ... and each can be ended by its id alone (the seeded one stays active).
  for (const c of created.slice(0, 10)) {
    figures.runs++;
    const d = await inject('DELETE', `/v1/silences/${c.id}`);
    check(`DELETE ${c.id}`, d);
    assert.equal(d.status, 200);
  }
  const after_ = (await inject('GET', '/v1/silences')).body.rows as { silence_id: string }[];
  assert.ok(after_.some((s) => s.silence_id === seededSilence), 'the seeded silence is still active');
  assert.equal(after_.length, 1 + created.length - 10);
});

test('afterwards every table is intact: same tables, same rows (silences: exactly the ones created)', async () => {
  const now_ = await snapshot();
  assert.deepEqual(now_.tables, before_.tables, 'no table dropped or created');
  assert.deepEqual(now_.counts, { ...before_.counts, silence_ids: before_.counts.silence_ids + figures.silences_created });
  printFigures('sql-injection', { ...figures, params: params.size, tables: now_.tables.length, rows_after: now_.counts });
});

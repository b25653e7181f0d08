import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createClient } from '@clickhouse/client';
import fc from 'fast-check';
import { startEmbeddedPipeline, type EmbeddedPipeline } from '../../services/all-in-one/embedded-pipeline.ts';
import { loadConfig } from '../../services/core/config.ts';
import { createLogger } from '../../services/core/logger.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { captureStream, deepValue, hostileString, hostileValue, printFigures, PROTO_KEYS, SEED, withOwnKey } from './hostile-support.ts';

/**
 * Property-based hostile input on every HTTP route of the embedded pipeline (app.inject
 * on the real app: real bus, enricher, writer and chDB). Valid payloads are generated,
 * then mutated (wrong types, huge numbers, NaN-like strings, deep nesting, unicode,
 * control characters, __proto__/constructor keys, very long strings, duplicated
 * parameters, arrays for scalars, broken JSON). Properties:
 * - never a 5xx, and /healthz keeps answering;
 * - every 4xx is JSON `{error, message}`, and where it reports fields
 *   (`fields[].field`, `results[].errors[].field`) each names a parameter, path or key
 *   of the request (or of the route's schema, e.g. a required field that was missing);
 * - every accepted trace is in ClickHouse afterwards (by trace_id).
 */
const dir = tempDir('hostile-http');
const logs = captureStream();
let pipeline: EmbeddedPipeline;
const now = Date.now();
const iso = (msAgo: number) => new Date(now - msAgo).toISOString();

before(async () => {
  // Local evaluators only (no judge): hostile text also runs through regex/groundedness checks.
  const evals = join(dir.path, 'evals.json');
  writeFileSync(
    evals,
    JSON.stringify({
      version: 1,
      rules: [
        { name: 'len', sample_rate: 1, evaluator: { type: 'max_length', max_words: 5 } },
        { name: 'rx', sample_rate: 1, evaluator: { type: 'regex', pattern: '\\b(total)\\b', flags: 'i', mode: 'must_match' } },
        { name: 'grounded', sample_rate: 1, evaluator: { type: 'groundedness', against: 'input', threshold: 0.8 } },
      ],
    }),
  );
  const config = loadConfig({ DATA_DIR: join(dir.path, 'data'), PORT: '0', CLICKHOUSE_HTTP_PORT: '0', INGEST_MAX_EVENTS: '20', EVALS_FILE: evals });
  pipeline = await startEmbeddedPipeline(config, createLogger({ level: 'warn', destination: logs.stream }));
  console.log(`hostile http fuzz: seed ${SEED} (HOSTILE_SEED=${SEED} to replay)`);
});

after(async () => {
  await pipeline?.stop();
  dir.cleanup();
});

// ---------------------------------------------------------------------------------------
// Shared checks

interface Answer {
  status: number;
  body: any;
}

async function inject(opts: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: string; contentType?: string }): Promise<Answer> {
  const res = await pipeline.app.inject({
    method: opts.method,
    url: opts.url,
    ...(opts.payload !== undefined ? { payload: opts.payload, headers: { 'content-type': opts.contentType ?? 'application/json' } } : {}),
  });
  let body: any;
  try {
    body = JSON.parse(res.body);
  } catch {
    assert.fail(`${opts.method} ${opts.url.slice(0, 200)}: answer ${res.statusCode} is not JSON: ${res.body.slice(0, 200)}`);
  }
  return { status: res.statusCode, body };
}

/** `field` names `key` itself or something inside it (`metadata.team`, `value.rating`, `a[0]`). */
function namesKey(field: string, keys: Iterable<string>): boolean {
  for (const k of keys) if (field === k || field.startsWith(`${k}.`) || field.startsWith(`${k}[`)) return true;
  return false;
}

function assertNo5xx(where: string, a: Answer): void {
  assert.ok(a.status < 500, `${where}: ${a.status} ${JSON.stringify(a.body).slice(0, 500)}`);
}

function assert4xxShape(where: string, a: Answer): void {
  assert.equal(typeof a.body?.error, 'string', `${where}: 4xx without an error code: ${JSON.stringify(a.body).slice(0, 300)}`);
  assert.equal(typeof a.body?.message, 'string', `${where}: 4xx without a message`);
  assert.doesNotMatch(JSON.stringify(a.body), /DB::Exception|Code: \d+|SELECT .* FROM|\bat .*\.ts:\d+/, `${where}: leaks internals`);
}

/** Body-level problems that have no field to name (not JSON, forbidden __proto__, wrong content type, too big). */
const BODY_LEVEL = /JSON|prototype|Content-Type|body|larger than|payload/i;

async function healthy(): Promise<void> {
  const h = await pipeline.app.inject({ url: '/healthz' });
  assert.equal(h.statusCode, 200, 'the process keeps answering /healthz');
}

function counter() {
  return { runs: 0, inputs: 0, '2xx': 0, '4xx': 0, '5xx': 0, by_status: {} as Record<string, number> };
}
type Counter = ReturnType<typeof counter>;
function count(c: Counter, a: Answer): void {
  c.inputs++;
  if (a.status >= 200 && a.status < 300) c['2xx']++;
  else if (a.status >= 400 && a.status < 500) c['4xx']++;
  else if (a.status >= 500) c['5xx']++;
  c.by_status[a.status] = (c.by_status[a.status] ?? 0) + 1;
}

// ---------------------------------------------------------------------------------------
// Mutations of JSON objects and JSON text

type Mutation =
  | { kind: 'set'; key: string; value: unknown }
  | { kind: 'set-known'; index: number; value: unknown }
  | { kind: 'delete-known'; index: number }
  | { kind: 'proto'; key: string; value: unknown }
  | { kind: 'replace'; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('set-known' as const), index: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete-known' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), key: hostileString, value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('proto' as const), key: fc.constantFrom(...PROTO_KEYS), value: fc.oneof(fc.constant({ polluted: true }), hostileValue) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), value: hostileValue }) },
);

function mutate(base: Record<string, unknown>, known: readonly string[], muts: readonly Mutation[]): unknown {
  let out: unknown = { ...base };
  for (const m of muts) {
    if (out === null || typeof out !== 'object' || Array.isArray(out)) break;
    const o = out as Record<string, unknown>;
    if (m.kind === 'set-known') o[known[m.index % known.length]] = m.value;
    else if (m.kind === 'delete-known') delete o[known[m.index % known.length]];
    else if (m.kind === 'set' || m.kind === 'proto') out = withOwnKey(o, m.key, m.value);
    else out = m.value;
  }
  return out;
}

type TextMutation = { kind: 'none' } | { kind: 'truncate'; at: number } | { kind: 'flip'; at: number; byte: number } | { kind: 'dup-key' };
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { weight: 12, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dup-key' as const }) },
);

/** JSON text, possibly broken; `broken` when it may no longer be the JSON of `value`. */
function toText(value: unknown, tm: TextMutation): { text: string; broken: boolean } {
  const text = JSON.stringify(value) ?? 'null';
  if (tm.kind === 'none') return { text, broken: false };
  if (tm.kind === 'dup-key') return { text: text.startsWith('{"') ? `{"trace_id":1,${text.slice(1)}` : text, broken: true };
  const buf = Buffer.from(text);
  if (tm.kind === 'truncate') return { text: buf.subarray(0, tm.at % Math.max(1, buf.length)).toString('latin1'), broken: true };
  buf[tm.at % buf.length] = tm.byte;
  return { text: buf.toString('latin1'), broken: true };
}

// ---------------------------------------------------------------------------------------
// POST /v1/traces

const TRACE_KEYS = [
  'trace_id', 'timestamp', 'model', 'provider', 'feature', 'prompt_version', 'environment', 'input_tokens', 'output_tokens', 'cached_input_tokens',
  'cache_write_tokens', 'reasoning_tokens', 'latency_ms', 'time_to_first_token_ms', 'finish_reason', 'status', 'error_type', 'user_id', 'session_id',
  'system_prompt_hash', 'input', 'output', 'cost_usd', 'metadata', 'cache_write_1h_tokens', 'input_audio_tokens', 'output_audio_tokens',
  'input_image_tokens', 'output_image_tokens', 'service_tier',
] as const;

let traceSeq = 0;
function validTrace(v: { model: string; feature: string; tokens: number; text: string }): Record<string, unknown> {
  traceSeq++;
  return {
    trace_id: `hx-${SEED}-${traceSeq}`,
    timestamp: iso(60_000 + traceSeq),
    model: v.model,
    feature: v.feature,
    prompt_version: 'v1',
    input_tokens: v.tokens * 2,
    cached_input_tokens: v.tokens,
    output_tokens: v.tokens,
    reasoning_tokens: 0,
    latency_ms: 250,
    status: 'ok',
    input: v.text,
    output: v.text,
    metadata: { team: 'a' },
  };
}

const traceSeed = fc.record({
  model: fc.constantFrom('gpt-4o', 'openai/gpt-4o', 'claude-sonnet-4-5-20250929', 'acme-unpriced'),
  feature: fc.oneof(fc.constantFrom('chat', 'summarize'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 })),
  tokens: fc.integer({ min: 0, max: 100_000 }),
  text: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 60 }), hostileString),
});

const traceBatch = fc.record({
  events: fc.array(fc.tuple(traceSeed, fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
  wrapper: fc.oneof(
    { weight: 10, arbitrary: fc.constant('ok' as const) },
    { weight: 1, arbitrary: fc.constantFrom('bare-array', 'traces-object', 'traces-string', 'empty', 'too-many', 'extra-key', 'proto-wrapper', 'deep', 'text-plain') },
  ),
  text: textMutation,
});

const accepted = new Set<string>();

test('POST /v1/traces: random and mutated batches never 5xx; every error names a field of the event', async () => {
  const c = { ...counter(), events: 0, events_accepted: 0, events_rejected: 0 };
  await fc.assert(
    fc.asyncProperty(traceBatch, async ({ events, wrapper, text: tm }) => {
      c.runs++;
      const list = events.map(([s, muts]) => (muts.length === 0 ? validTrace(s) : mutate(validTrace(s), TRACE_KEYS, muts)));
      let body: unknown = { traces: list };
      if (wrapper === 'bare-array') body = list;
      else if (wrapper === 'traces-object') body = { traces: list[0] };
      else if (wrapper === 'traces-string') body = { traces: JSON.stringify(list) };
      else if (wrapper === 'empty') body = { traces: [] };
      else if (wrapper === 'too-many') body = { traces: Array.from({ length: 21 }, () => list[0]) };
      else if (wrapper === 'extra-key') body = { traces: list, extra: 1 };
      else if (wrapper === 'proto-wrapper') body = withOwnKey({ traces: list }, '__proto__', { traces: [] });
      else if (wrapper === 'deep') body = { traces: [deepNest(3_000)] };
      const { text, broken } = toText(body, tm);
      const a = await inject({ method: 'POST', url: '/v1/traces', payload: text, contentType: wrapper === 'text-plain' ? 'text/plain' : 'application/json' });
      count(c, a);
      const where = `POST /v1/traces ${text.slice(0, 300)}`;
      assertNo5xx(where, a);
      if (a.status >= 400) assert4xxShape(where, a);
      if (a.status === 202) {
        assert.equal(a.body.rejected, 0, where);
        c.events += list.length;
        c.events_accepted += list.length;
        for (const e of list) accepted.add(normalise((e as { trace_id: string }).trace_id));
        return;
      }
      if (Array.isArray(a.body?.results)) {
        const sent = Array.isArray((JSON.parse(text) as { traces?: unknown }).traces) ? (JSON.parse(text) as { traces: unknown[] }).traces : [];
        assert.equal(a.body.results.length, sent.length, where);
        c.events += sent.length;
        for (const r of a.body.results) {
          const event = sent[r.index];
          if (r.status === 'accepted') {
            c.events_accepted++;
            accepted.add(normalise(r.trace_id));
            continue;
          }
          c.events_rejected++;
          assert.ok(Array.isArray(r.errors) && r.errors.length > 0, `${where}: rejected event ${r.index} without errors`);
          const isObject = event !== null && typeof event === 'object' && !Array.isArray(event);
          const keys = isObject ? [...Object.keys(event as object), ...TRACE_KEYS] : [];
          for (const e of r.errors) {
            assert.equal(typeof e.field, 'string', where);
            assert.ok(isObject ? namesKey(e.field, keys) : e.field === '(event)', `${where}: error field ${JSON.stringify(e.field)} names nothing in event ${JSON.stringify(event)?.slice(0, 200)}`);
          }
        }
        return;
      }
      // A 4xx about the whole body: it says what is wrong with it.
      assert.ok(a.status >= 400, `${where}: ${a.status} without results`);
      if (a.status === 413) assert.equal(a.body.error, 'payload_too_large', where);
      else assert.ok(/traces/.test(a.body.message) || broken || wrapper !== 'ok' || BODY_LEVEL.test(a.body.message), `${where}: ${a.body.message}`);
    }),
    { seed: SEED, numRuns: 150, endOnFailure: true },
  );
  await healthy();

  // Nothing accepted was lost: every accepted trace_id is in ClickHouse (a 2xx means written).
  const ch = createClient({ url: pipeline.clickhouseUrl });
  const ids = [...accepted];
  const rs = await ch.query({ query: 'SELECT uniqExact(trace_id) AS n FROM traces WHERE trace_id IN {ids:Array(String)}', query_params: { ids }, format: 'JSONEachRow' });
  const [{ n }] = (await rs.json()) as { n: string }[];
  await ch.close();
  assert.equal(Number(n), ids.length, 'every distinct accepted trace_id is stored');
  printFigures('http-fuzz/traces', { ...c, distinct_accepted_ids: ids.length, stored_ids: Number(n) });
});

/** A key fastify refuses in a JSON body: `__proto__`, or `constructor` holding `prototype`, at any depth. */
function poisoned(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== 'object' || depth > 50) return false;
  if (Array.isArray(v)) return v.some((x) => poisoned(x, depth + 1));
  const o = v as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(o, '__proto__')) return true;
  const ctor = Object.prototype.hasOwnProperty.call(o, 'constructor') ? o.constructor : undefined;
  if (ctor !== null && typeof ctor === 'object' && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) return true;
  return Object.values(o).some((x) => poisoned(x, depth + 1));
}

/** Lone surrogates are stored as U+FFFD (UTF-8 cannot carry them). */
function normalise(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function deepNest(depth: number): unknown {
  let v: unknown = 'x';
  for (let i = 0; i < depth; i++) v = { trace_id: v };
  return v;
}

// ---------------------------------------------------------------------------------------
// POST /v1/feedback

const FEEDBACK_KEYS = ['trace_id', 'name', 'value', 'scale', 'comment', 'feedback_id', 'user_id', 'metadata'] as const;

const feedbackSeed = fc.record({
  trace_id: fc.oneof(fc.constantFrom('hx-1', 'hx-2'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })),
  value: fc.oneof(fc.constantFrom('up', 'down', true, false), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 5 }).map((rating) => ({ rating }))),
  comment: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 }), { nil: undefined }),
  user_id: fc.option(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }), { nil: undefined }),
});

function validFeedback(s: { trace_id: string; value: unknown; comment?: string; user_id?: string }): Record<string, unknown> {
  const item: Record<string, unknown> = { trace_id: s.trace_id, value: s.value };
  if (s.comment !== undefined) item.comment = s.comment;
  if (s.user_id !== undefined) item.user_id = s.user_id;
  return item;
}

const feedbackMutation: fc.Arbitrary<Mutation> = fc.oneof(
  mutation,
  fc.record({ kind: fc.constant('set-known' as const), index: fc.constant(FEEDBACK_KEYS.indexOf('value')), value: fc.oneof(hostileValue, fc.record({ rating: hostileValue }), fc.constantFrom('1-5', '0-1')) }),
  fc.record({ kind: fc.constant('set-known' as const), index: fc.constant(FEEDBACK_KEYS.indexOf('scale')), value: fc.oneof(fc.constantFrom('1-5', '0-1'), hostileValue) }),
);

test('POST /v1/feedback: single items and batches, mutated, never 5xx; every error names a field of the item', async () => {
  const c = { ...counter(), items: 0, items_accepted: 0, items_rejected: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(feedbackSeed, fc.array(feedbackMutation, { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
      fc.boolean(),
      textMutation,
      async (items, batch, tm) => {
        c.runs++;
        const list = items.map(([s, muts]) => (muts.length === 0 ? validFeedback(s) : mutate(validFeedback(s), FEEDBACK_KEYS, muts)));
        const body = batch ? { feedback: list } : list[0];
        const { text, broken } = toText(body, tm);
        const a = await inject({ method: 'POST', url: '/v1/feedback', payload: text });
        count(c, a);
        const where = `POST /v1/feedback ${text.slice(0, 300)}`;
        assertNo5xx(where, a);
        if (a.status >= 400) assert4xxShape(where, a);
        if (Array.isArray(a.body?.results)) {
          const parsed = JSON.parse(text) as unknown;
          const sent: unknown[] =
            parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'feedback' in parsed ? ((parsed as { feedback: unknown[] }).feedback) : [parsed];
          assert.equal(a.body.results.length, sent.length, where);
          for (const r of a.body.results) {
            c.items++;
            if (r.status === 'accepted') {
              c.items_accepted++;
              assert.equal(typeof r.score_id, 'string', where);
              continue;
            }
            c.items_rejected++;
            const item = sent[r.index];
            assert.ok(Array.isArray(r.errors) && r.errors.length > 0, `${where}: rejected item without errors`);
            const isObject = item !== null && typeof item === 'object' && !Array.isArray(item);
            const keys = isObject ? [...Object.keys(item as object), ...FEEDBACK_KEYS] : [];
            for (const e of r.errors) {
              assert.ok(isObject ? namesKey(e.field, keys) : e.field === '(feedback)', `${where}: error field ${JSON.stringify(e.field)} names nothing in ${JSON.stringify(item)?.slice(0, 200)}`);
            }
          }
          return;
        }
        assert.ok(a.status >= 400, `${where}: ${a.status} without results`);
        assert.ok(broken || /feedback|JSON object/.test(a.body.message) || BODY_LEVEL.test(a.body.message), `${where}: ${a.body.message}`);
      },
    ),
    { seed: SEED, numRuns: 200, endOnFailure: true },
  );
  await healthy();
  printFigures('http-fuzz/feedback', c);
});

// ---------------------------------------------------------------------------------------
// Query routes (GET with query strings), alerts and silences

interface QueryRoute {
  path: string;
  params: readonly string[];
  /** A valid query for this route. */
  valid: () => Record<string, string>;
}

const hourAgo = String(now - 3_600_000);
const METRIC_PARAMS = ['from', 'to', 'interval', 'group_by', 'feature', 'model', 'prompt_version', 'environment'];
const QUERY_ROUTES: QueryRoute[] = [
  ...['cost', 'latency', 'errors', 'tokens', 'overview'].map((m) => ({
    path: `/v1/metrics/${m}`,
    params: METRIC_PARAMS,
    valid: () => ({ from: hourAgo, interval: 'none', group_by: 'feature,model', feature: 'chat' }),
  })),
  { path: '/v1/metrics/quality', params: [...METRIC_PARAMS, 'name', 'source'], valid: () => ({ from: iso(3_600_000), interval: 'hour', group_by: 'name', source: 'both' }) },
  { path: '/v1/quality/compare', params: ['feature', 'baseline', 'candidate', 'from', 'to', 'name', 'source'], valid: () => ({ feature: 'chat', baseline: 'v1', candidate: 'v2' }) },
  { path: '/v1/models/unpriced', params: ['from', 'to'], valid: () => ({ from: hourAgo }) },
  { path: '/v1/alerts', params: ['state', 'feature', 'model', 'metric', 'rule', 'from', 'to', 'limit'], valid: () => ({ state: 'firing', limit: '10', feature: 'chat' }) },
  { path: '/v1/silences', params: [], valid: () => ({}) },
];

/** Percent-encodes every byte (lone surrogates become U+FFFD): always a valid query component. */
function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

type QueryMutation =
  | { kind: 'value'; index: number; value: string }
  | { kind: 'array'; index: number; values: string[] }
  | { kind: 'drop'; index: number }
  | { kind: 'unknown'; key: string; value: string }
  | { kind: 'raw'; text: string };

const queryMutation: fc.Arbitrary<QueryMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('value' as const), index: fc.nat(), value: fc.oneof(hostileString, fc.constantFrom('0', '-1', '99999999999999999', '4102444800001', '2024-02-30', '2024-05-01T10:00:00+25:00', 'minute', 'hour', 'day', 'none', 'open', 'feature,model,name', 'model,,', ',', 'v1')) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('array' as const), index: fc.nat(), values: fc.array(fc.oneof(hostileString, fc.constantFrom('chat', 'hour', '1')), { minLength: 2, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unknown' as const), key: fc.oneof(fc.constantFrom(...PROTO_KEYS, '', 'a[b]', 'from[]', 'limit.x'), hostileString), value: hostileString }) },
  // Unencoded or broken encodings, appended as they are.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw' as const), text: fc.constantFrom('%', '%zz', '%E0%A4%A', '%ED%A0%80', '&&&', '==', 'from=%00', 'limit=1&limit=2', '__proto__[x]=1', 'constructor[prototype][x]=1', 'a=%FF%FE', '+', `from=${'9'.repeat(400)}`) }) },
);

function buildQuery(route: QueryRoute, muts: readonly QueryMutation[]): { qs: string; sent: Set<string> } {
  const pairs: [string, string][] = Object.entries(route.valid());
  const raws: string[] = [];
  const pick = (i: number) => (route.params.length > 0 ? route.params[i % route.params.length] : 'x');
  for (const m of muts) {
    if (m.kind === 'value') {
      const k = pick(m.index);
      const at = pairs.findIndex(([p]) => p === k);
      if (at >= 0) pairs[at] = [k, m.value];
      else pairs.push([k, m.value]);
    } else if (m.kind === 'array') {
      const k = pick(m.index);
      for (const v of m.values) pairs.push([k, v]);
    } else if (m.kind === 'drop') {
      const at = pairs.findIndex(([p]) => p === pick(m.index));
      if (at >= 0) pairs.splice(at, 1);
    } else if (m.kind === 'unknown') {
      pairs.push([m.key, m.value]);
    } else {
      raws.push(m.text);
    }
  }
  const sent = new Set<string>();
  for (const [k] of pairs) sent.add(k);
  for (const r of raws) for (const part of r.split('&')) sent.add(safeDecode(part.split('=')[0]));
  const qs = [...pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`), ...raws].join('&');
  return { qs, sent };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

test('GET query, quality and alert routes: mutated query strings never 5xx; every 400 names a parameter', async () => {
  const c = { ...counter(), per_route: {} as Record<string, number> };
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: QUERY_ROUTES.length - 1 }), fc.array(queryMutation, { minLength: 0, maxLength: 4 }), async (ri, muts) => {
      c.runs++;
      const route = QUERY_ROUTES[ri];
      const { qs, sent } = buildQuery(route, muts);
      const url = qs === '' ? route.path : `${route.path}?${qs}`;
      const a = await inject({ method: 'GET', url });
      count(c, a);
      c.per_route[route.path] = (c.per_route[route.path] ?? 0) + 1;
      const where = `GET ${url.slice(0, 400)}`;
      assertNo5xx(where, a);
      if (a.status === 200) {
        assert.ok(Array.isArray(a.body.rows) || Array.isArray(a.body.scores), `${where}: 200 without rows`);
        return;
      }
      assert4xxShape(where, a);
      assert.equal(a.status, 400, `${where}: ${a.status} ${JSON.stringify(a.body)}`);
      assert.ok(Array.isArray(a.body.fields) && a.body.fields.length > 0, `${where}: a 400 without fields: ${JSON.stringify(a.body)}`);
      const allowed = new Set([...route.params, ...sent]);
      if (sent.has('')) allowed.add('(empty name)');
      for (const f of a.body.fields) assert.ok(allowed.has(f.field), `${where}: field ${JSON.stringify(f.field)} is not a parameter of the request (${JSON.stringify(a.body)})`);
    }),
    { seed: SEED, numRuns: 300, endOnFailure: true },
  );
  await healthy();
  printFigures('http-fuzz/query', c);
});

// ---------------------------------------------------------------------------------------
// Path parameters: GET /v1/traces/:trace_id, DELETE /v1/silences/:id

test('path parameters (trace_id, silence id): hostile ids answer 400 or 404 naming the parameter, never 5xx', async () => {
  const c = counter();
  await fc.assert(
    fc.asyncProperty(fc.oneof(hostileString, fc.uuid(), fc.constantFrom('', '%', '%zz', '..', '../silences', 'a/b', '?', '#')), fc.boolean(), async (id, trace) => {
      c.runs++;
      const enc = /^%|^\.\.|\?|#/.test(id) ? id : pct(id);
      const a = await inject({ method: trace ? 'GET' : 'DELETE', url: trace ? `/v1/traces/${enc}` : `/v1/silences/${enc}` });
      count(c, a);
      const where = `${trace ? 'GET /v1/traces/' : 'DELETE /v1/silences/'}${enc.slice(0, 200)}`;
      assertNo5xx(where, a);
      if (a.status >= 400) assert4xxShape(where, a);
      if (a.status === 400 && Array.isArray(a.body.fields) && a.body.fields.length > 0) {
        for (const f of a.body.fields) assert.ok(['trace_id', 'id'].includes(f.field), `${where}: ${JSON.stringify(a.body)}`);
      }
      // 414: an id longer than the router's maxParamLength (512) is refused before any route.
      assert.ok([200, 400, 404, 414].includes(a.status), `${where}: ${a.status}`);
    }),
    { seed: SEED, numRuns: 150, endOnFailure: true },
  );
  await healthy();
  printFigures('http-fuzz/path-params', c);
});

// ---------------------------------------------------------------------------------------
// POST /v1/silences (JSON body)

const SILENCE_KEYS = ['rule', 'metric', 'feature', 'model', 'starts_at', 'ends_at', 'duration_minutes', 'comment', 'created_by'] as const;
const silenceSeed = fc.record({
  feature: fc.oneof(fc.constantFrom('chat', '*', 'sum*'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 })),
  comment: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
  duration: fc.integer({ min: 1, max: 600 }),
});
const silenceMutation: fc.Arbitrary<Mutation> = fc.oneof(
  mutation,
  fc.record({
    kind: fc.constant('set-known' as const),
    index: fc.constantFrom(SILENCE_KEYS.indexOf('starts_at'), SILENCE_KEYS.indexOf('ends_at')),
    value: fc.oneof(hostileValue, fc.constantFrom('2099-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '1970-01-01', 0, 4102444800000, '2024-02-30T00:00:00Z', now + 60_000, String(now + 60_000))),
  }),
);

test('POST /v1/silences: mutated bodies never 5xx; every 400 names a field of the body; created silences are listed and can be ended', async () => {
  const c = { ...counter(), created: 0, ended: 0, proto_refused: 0 };
  const created: string[] = [];
  await fc.assert(
    fc.asyncProperty(silenceSeed, fc.array(silenceMutation, { maxLength: 3 }), textMutation, async (s, muts, tm) => {
      c.runs++;
      const base = { feature: s.feature, comment: s.comment, duration_minutes: s.duration };
      const body = muts.length === 0 ? base : mutate(base, SILENCE_KEYS, muts);
      const { text, broken } = toText(body, tm);
      const a = await inject({ method: 'POST', url: '/v1/silences', payload: text });
      count(c, a);
      const where = `POST /v1/silences ${text.slice(0, 300)}`;
      assertNo5xx(where, a);
      if (a.status === 201) {
        c.created++;
        created.push(a.body.silence_id);
        return;
      }
      assert4xxShape(where, a);
      assert.equal(a.status, 400, where);
      const isObject = body !== null && typeof body === 'object' && !Array.isArray(body);
      if (broken || !isObject || poisoned(body)) {
        // fastify refuses __proto__ / constructor.prototype keys for the whole body (onProtoPoisoning: 'error').
        if (poisoned(body)) c.proto_refused++;
        // Not JSON, or not an object: nothing to name but the body itself.
        if (Array.isArray(a.body.fields) && a.body.fields.length > 0 && !broken) {
          for (const f of a.body.fields) assert.ok(['(body)', ...SILENCE_KEYS].includes(f.field), `${where}: ${JSON.stringify(a.body)}`);
        }
        return;
      }
      assert.ok(Array.isArray(a.body.fields) && a.body.fields.length > 0, `${where}: a 400 without fields: ${JSON.stringify(a.body)}`);
      const keys = [...Object.keys(body as object), ...SILENCE_KEYS];
      for (const f of a.body.fields) assert.ok(keys.includes(f.field) || (f.field === '(empty name)' && keys.includes('')), `${where}: field ${JSON.stringify(f.field)} names nothing in the body (${JSON.stringify(a.body)})`);
    }),
    { seed: SEED, numRuns: 200, endOnFailure: true },
  );
  // Every created silence can be listed (while active) and ended.
  const listed = await inject({ method: 'GET', url: '/v1/silences' });
  assert.equal(listed.status, 200);
  for (const id of created.slice(0, 20)) {
    const d = await inject({ method: 'DELETE', url: `/v1/silences/${id}` });
    assert.equal(d.status, 200, JSON.stringify(d.body));
    c.ended++;
  }
  await healthy();
  const res = await fetch(`${pipeline.apiUrl}/healthz`);
  assert.equal(res.status, 200, 'the listener answers too');
  printFigures('http-fuzz/silences', c);
});

test('no fatal log line, and every error-level line is accounted for', () => {
  const lines = logs.lines();
  const fatal = lines.filter((l) => Number(l.level) >= 60);
  const errors = lines.filter((l) => Number(l.level) === 50);
  printFigures('http-fuzz/logs', { lines: lines.length, error_lines: errors.length, fatal_lines: fatal.length, error_msgs: [...new Set(errors.map((l) => String(l.msg)))] });
  assert.deepEqual(fatal, []);
  assert.deepEqual(errors.map((l) => l.msg), [], 'no request failed inside the pipeline');
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createMemoryBus } from '../../services/core/bus/memory-bus.ts';
import { loadAvroRegistry } from '../../services/core/codec/avro-registry.ts';
import { createHttpApp } from '../../services/core/http-app.ts';
import { createLogger, silentLogger, type Logger } from '../../services/core/logger.ts';
import type { Store } from '../../services/core/store/store.ts';
import { buildQueryApp } from '../../services/query/app.ts';
import { registerFeedbackRoutes } from '../../services/ingest/feedback-routes.ts';
import { registerIngestRoutes } from '../../services/ingest/routes.ts';
import { registerOtlpRoutes } from '../../services/ingest/otlp/otlp-routes.ts';
import { apiKeyOf, presentedKey, type HttpAuthOptions } from '../../services/core/auth/http-auth.ts';
import { ApiKeyStore, generateApiKey, hashApiKey, type Scope } from '../../services/core/auth/keys.ts';
import { requiredAccess } from '../../services/core/auth/route-scopes.ts';

const KEYS = {
  ingest: generateApiKey(),
  query: generateApiKey(),
  admin: generateApiKey(),
};
const store = new ApiKeyStore(
  (Object.keys(KEYS) as Scope[]).map((scope) => ({ name: `${scope}-app`, scopes: [scope], sha256: hashApiKey(KEYS[scope]) })),
);

function fakeStore(): Store {
  return { insert: async () => {}, query: async <T,>() => [] as T[], queryJsonLines: async () => '', command: async () => {}, ping: async () => true, close: async () => {} };
}

/** The embedded layout: query app (health + query routes in a child context) plus ingest routes on the same app. */
function pipelineApp(auth: HttpAuthOptions | undefined, log: Logger = silentLogger()) {
  const app = buildQueryApp({ store: fakeStore(), log, ready: () => true, auth });
  const registry = loadAvroRegistry();
  const bus = createMemoryBus();
  registerIngestRoutes(app, { bus, registry, log, topic: 'llm.traces.raw', maxEvents: 10, publishFormat: 'avro', ackTimeoutMs: 1_000 });
  registerFeedbackRoutes(app, { bus, registry, log, topic: 'llm.scores', ackTimeoutMs: 1_000, maxItems: 10 });
  registerOtlpRoutes(app, { bus, registry, log, topic: 'llm.traces.raw', maxEvents: 10, publishFormat: 'avro', ackTimeoutMs: 1_000, maxSpans: 10 });
  return app;
}

const TRACE = { traces: [{ trace_id: 't-1', timestamp: Date.now(), model: 'gpt-4o' }] };
const SILENCE = { rule: 'cost-spike', duration_minutes: 30, comment: 'deploy' };
const SILENCE_ID = '7a1c2f0e-1b2c-4d3e-8f9a-0b1c2d3e4f5a';

/** One request per route class: [label, request, scope it needs]. */
const ROUTES: Array<[string, { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: object }, Scope]> = [
  ['POST /v1/traces', { method: 'POST', url: '/v1/traces', payload: TRACE }, 'ingest'],
  ['POST /v1/feedback', { method: 'POST', url: '/v1/feedback', payload: { feedback: [] } }, 'ingest'],
  ['POST /otlp/v1/traces', { method: 'POST', url: '/otlp/v1/traces', payload: { resourceSpans: [] } }, 'ingest'],
  ['GET /v1/metrics/cost', { method: 'GET', url: '/v1/metrics/cost' }, 'query'],
  ['GET /v1/metrics/quality', { method: 'GET', url: '/v1/metrics/quality' }, 'query'],
  ['GET /v1/quality/compare', { method: 'GET', url: '/v1/quality/compare' }, 'query'],
  ['GET /v1/traces/:id', { method: 'GET', url: '/v1/traces/t-1' }, 'query'],
  ['GET /v1/sessions/:id', { method: 'GET', url: '/v1/sessions/s-1' }, 'query'],
  ['GET /v1/models/unpriced', { method: 'GET', url: '/v1/models/unpriced' }, 'query'],
  ['GET /v1/alerts', { method: 'GET', url: '/v1/alerts' }, 'query'],
  ['GET /v1/silences', { method: 'GET', url: '/v1/silences' }, 'query'],
  ['POST /v1/silences', { method: 'POST', url: '/v1/silences', payload: SILENCE }, 'admin'],
  ['DELETE /v1/silences/:id', { method: 'DELETE', url: `/v1/silences/${SILENCE_ID}` }, 'admin'],
];

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('route → scope table', () => {
  it('maps every route class, keeps health open and closes unknown routes', () => {
    assert.equal(requiredAccess('GET', '/healthz'), 'open');
    assert.equal(requiredAccess('HEAD', '/readyz'), 'open');
    assert.equal(requiredAccess('POST', '/v1/traces'), 'ingest');
    assert.equal(requiredAccess('POST', '/v1/feedback'), 'ingest');
    assert.equal(requiredAccess('GET', '/v1/traces/:trace_id'), 'query');
    assert.equal(requiredAccess('GET', '/v1/metrics/latency'), 'query');
    assert.equal(requiredAccess('GET', '/v1/silences'), 'query');
    assert.equal(requiredAccess('POST', '/v1/silences'), 'admin');
    assert.equal(requiredAccess('DELETE', '/v1/silences/:id'), 'admin');
    assert.equal(requiredAccess('POST', '/v1/healthz'), 'admin', 'a route in no rule needs admin');
    assert.equal(requiredAccess('PUT', '/v1/traces'), 'admin');
    assert.equal(requiredAccess('GET', undefined), 'authenticated', 'no route (404): any valid key');
  });

  it('reads the key from Authorization: Bearer or X-API-Key', () => {
    assert.deepEqual(presentedKey({ authorization: 'Bearer abc' }), { key: 'abc' });
    assert.deepEqual(presentedKey({ authorization: 'bearer   abc  ' }), { key: 'abc' });
    assert.deepEqual(presentedKey({ 'x-api-key': ' abc ' }), { key: 'abc' });
    assert.deepEqual(presentedKey({}), null);
    assert.match((presentedKey({ authorization: 'Basic dXNlcjpwYXNz' }) as { problem: string }).problem, /Bearer/);
  });
});

describe('API keys on the HTTP API', () => {
  const app = pipelineApp({ keys: store, rateLimitPerMinute: 0 });

  it('/healthz and /readyz need no key', async () => {
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
    assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'HEAD', url: '/healthz' })).statusCode, 200);
  });

  for (const [label, request] of ROUTES) {
    it(`${label} without a key → 401 with a clear message`, async () => {
      const res = await app.inject(request);
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'unauthorized', message: 'missing API key: send Authorization: Bearer <key>' });
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    });
  }

  it('an unknown key → 401 "invalid API key", and the key is not echoed', async () => {
    const wrong = generateApiKey();
    const res = await app.inject({ url: '/v1/metrics/cost', headers: bearer(wrong) });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { error: 'unauthorized', message: 'invalid API key' });
    assert.ok(!res.body.includes(wrong));
  });

  it('a non-Bearer Authorization header → 401 naming the expected scheme', async () => {
    const res = await app.inject({ url: '/v1/metrics/cost', headers: { authorization: `Basic ${Buffer.from(`x:${KEYS.query}`).toString('base64')}` } });
    assert.equal(res.statusCode, 401);
    assert.match(res.json().message, /Authorization: Bearer <key>/);
  });

  for (const [label, request, scope] of ROUTES) {
    for (const keyScope of ['ingest', 'query', 'admin'] as const) {
      const allowed = keyScope === scope || keyScope === 'admin';
      it(`${label} with a ${keyScope} key → ${allowed ? 'let in' : '403'}`, async () => {
        const res = await app.inject({ ...request, headers: keyScope === 'query' ? { 'x-api-key': KEYS[keyScope] } : bearer(KEYS[keyScope]) });
        if (allowed) {
          assert.ok(![401, 403].includes(res.statusCode), `${res.statusCode} ${res.body}`);
          assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
        } else {
          assert.equal(res.statusCode, 403);
          assert.deepEqual(res.json(), { error: 'forbidden', message: `key "${keyScope}-app" lacks scope "${scope}"` });
        }
      });
    }
  }

  it('the right key gets the real answer (202 ingest, 200 query, 201 admin)', async () => {
    assert.equal((await app.inject({ method: 'POST', url: '/v1/traces', payload: TRACE, headers: bearer(KEYS.ingest) })).statusCode, 202);
    assert.equal((await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.query) })).statusCode, 200);
    assert.equal((await app.inject({ method: 'POST', url: '/v1/silences', payload: SILENCE, headers: bearer(KEYS.admin) })).statusCode, 201);
  });

  it('an unknown route: 401 without a key, 404 with any valid key', async () => {
    assert.equal((await app.inject({ url: '/v1/nope' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/v1/nope', headers: bearer(KEYS.ingest) })).statusCode, 404);
  });

  it('handlers can see who called (name and scopes, never the key)', async () => {
    const probe = createHttpApp({ log: silentLogger(), bodyLimit: 1024, auth: { keys: store, rateLimitPerMinute: 0 } });
    probe.get('/v1/metrics/whoami', async (req) => ({ ...apiKeyOf(req) }));
    const res = await probe.inject({ url: '/v1/metrics/whoami', headers: bearer(KEYS.admin) });
    assert.deepEqual(res.json(), { name: 'admin-app', scopes: ['admin'] });
  });

  it('without keys (the loopback default) every route is open', async () => {
    const open = pipelineApp({ keys: new ApiKeyStore(), rateLimitPerMinute: 0 });
    for (const [label, request] of ROUTES) {
      const res = await open.inject(request);
      assert.ok(![401, 403].includes(res.statusCode), `${label}: ${res.statusCode}`);
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a key used its requests of the minute; other keys are unaffected', async () => {
    const app = pipelineApp({ keys: store, rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      const ok = await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.query) });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.headers['x-ratelimit-limit'], '3');
    }
    const limited = await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.query) });
    assert.equal(limited.statusCode, 429);
    assert.equal(limited.json().error, 'rate_limited');
    assert.match(limited.json().message, /API key "query-app" exceeded 3 requests per minute/);
    const retryAfter = Number(limited.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${limited.headers['retry-after']}`);
    // The limit is per key: the admin key still gets through, and so do health probes.
    assert.equal((await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.admin) })).statusCode, 200);
    for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  });

  it('limits unauthenticated clients by IP (also when no keys are configured)', async () => {
    const app = pipelineApp({ keys: new ApiKeyStore(), rateLimitPerMinute: 2 });
    const a = { remoteAddress: '10.0.0.1' };
    assert.equal((await app.inject({ url: '/v1/alerts', ...a })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/alerts', ...a })).statusCode, 200);
    const limited = await app.inject({ url: '/v1/alerts', ...a });
    assert.equal(limited.statusCode, 429);
    assert.ok(limited.headers['retry-after']);
    assert.equal((await app.inject({ url: '/v1/alerts', remoteAddress: '10.0.0.2' })).statusCode, 200);
  });

  it('RATE_LIMIT_PER_MINUTE=0 turns limiting off', async () => {
    const app = pipelineApp({ keys: store, rateLimitPerMinute: 0 });
    for (let i = 0; i < 20; i++) assert.equal((await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.query) })).statusCode, 200);
  });
});

describe('keys never reach the logs', () => {
  function capture(level = 'trace'): { log: Logger; text: () => string } {
    const chunks: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, cb) => (chunks.push(chunk.toString()), cb()) });
    return { log: pino({ level }, stream), text: () => chunks.join('') };
  }

  it('requests that succeed, fail auth, are forbidden, rate limited or crash log no key', async () => {
    const { log, text } = capture();
    const app = pipelineApp({ keys: store, rateLimitPerMinute: 2 }, log);
    app.get('/v1/metrics/boom', async () => {
      throw new Error('boom');
    });
    const wrong = generateApiKey();
    await app.inject({ url: '/v1/alerts', headers: bearer(KEYS.query) });
    await app.inject({ url: '/v1/alerts', headers: bearer(wrong) });
    await app.inject({ url: '/v1/alerts', headers: { 'x-api-key': wrong } });
    await app.inject({ method: 'POST', url: '/v1/silences', payload: SILENCE, headers: bearer(KEYS.ingest) });
    await app.inject({ url: '/v1/metrics/boom', headers: bearer(KEYS.admin) });
    for (let i = 0; i < 3; i++) await app.inject({ url: '/v1/models/unpriced', headers: { 'x-api-key': KEYS.query } });
    const out = text();
    assert.match(out, /lacks scope/, 'the 403 is logged (by key name)');
    assert.match(out, /request failed/, 'the 500 is logged');
    for (const key of [...Object.values(KEYS), wrong]) assert.ok(!out.includes(key), 'a key reached the log');
  });

  it('a request logged whole has its Authorization and X-API-Key headers redacted', async () => {
    // Through the HTTP app's logger (any logger the caller passes) ...
    const { log, text } = capture();
    const app = createHttpApp({ log, bodyLimit: 1024, auth: { keys: store, rateLimitPerMinute: 0 } });
    app.get('/v1/metrics/echo', async (req) => {
      req.log.warn({ req: { method: req.method, url: req.url, headers: req.headers } }, 'debugging a request');
      req.log.warn({ headers: req.headers }, 'bare headers');
      return {};
    });
    await app.inject({ url: '/v1/metrics/echo', headers: { ...bearer(KEYS.query), 'x-api-key': KEYS.admin } });
    const out = text();
    assert.match(out, /debugging a request/);
    assert.match(out, /"authorization":"\[redacted\]"/);
    assert.match(out, /"x-api-key":"\[redacted\]"/);
    assert.ok(!out.includes(KEYS.query) && !out.includes(KEYS.admin));

    // ... and through the project's root logger.
    const chunks: string[] = [];
    const root = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (chunks.push(c.toString()), cb()) }) });
    root.info({ req: { headers: { authorization: `Bearer ${KEYS.admin}`, 'x-api-key': KEYS.query } } }, 'logged whole');
    root.info({ headers: { authorization: `Bearer ${KEYS.admin}` } }, 'bare');
    const rootOut = chunks.join('');
    assert.match(rootOut, /logged whole/);
    assert.ok(!rootOut.includes(KEYS.query) && !rootOut.includes(KEYS.admin), rootOut);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, classifyResponse, parseRetryAfter } from './retry-policy.ts';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);

describe('classifyResponse', () => {
  it('2xx is delivered', () => {
    assert.deepEqual(classifyResponse(200, null, 'ok', NOW), { kind: 'delivered', status: 200 });
    assert.deepEqual(classifyResponse(204, null, '', NOW), { kind: 'delivered', status: 204 });
  });

  it('429 and 5xx are retried, with Retry-After when given', () => {
    assert.deepEqual(classifyResponse(429, '7', 'rate_limited', NOW), { kind: 'retry', status: 429, error: 'HTTP 429: rate_limited', retryAfterMs: 7000 });
    assert.deepEqual(classifyResponse(503, null, '', NOW), { kind: 'retry', status: 503, error: 'HTTP 503', retryAfterMs: null });
    assert.equal(classifyResponse(408, null, '', NOW).kind, 'retry');
  });

  it('other 4xx fail for good, keeping status and what the receiver said', () => {
    assert.deepEqual(classifyResponse(400, null, 'invalid_blocks', NOW), { kind: 'failed', status: 400, reason: 'HTTP 400: invalid_blocks' });
    assert.equal(classifyResponse(404, null, 'no_service', NOW).kind, 'failed');
    assert.equal(classifyResponse(403, null, '', NOW).kind, 'failed');
  });

  it('a redirect (or an opaque redirect, status 0) is a failure, not followed', () => {
    assert.equal(classifyResponse(302, null, '', NOW).kind, 'failed');
    assert.match((classifyResponse(307, null, '', NOW) as { reason: string }).reason, /redirect not followed/);
    assert.equal(classifyResponse(0, null, '', NOW).kind, 'failed');
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('30', NOW), 30_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW), 90_000);
  });

  it('treats a date in the past as now and garbage as absent', () => {
    assert.equal(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW), 0);
    assert.equal(parseRetryAfter('soon', NOW), null);
    assert.equal(parseRetryAfter(null, NOW), null);
  });
});

describe('backoffDelay', () => {
  const opts = { baseMs: 1000, maxMs: 60_000 };
  it('doubles per attempt between half and all of the step, capped', () => {
    assert.equal(backoffDelay(1, { ...opts, random: () => 0 }), 500);
    assert.equal(backoffDelay(1, { ...opts, random: () => 1 }), 1000);
    assert.equal(backoffDelay(4, { ...opts, random: () => 1 }), 8000);
    assert.equal(backoffDelay(4, { ...opts, random: () => 0 }), 4000);
    assert.equal(backoffDelay(30, { ...opts, random: () => 1 }), 60_000);
    assert.equal(backoffDelay(10_000, { ...opts, random: () => 0 }), 30_000);
  });
});

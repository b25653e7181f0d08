import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyResponse } from './retry-policy.ts';

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, parseRetryAfter, retryDelayMs } from './retry.ts';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    assert.equal(parseRetryAfter('30', NOW), 30_000);
    assert.equal(parseRetryAfter(' 0 ', NOW), 0);
    assert.equal(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW), 90_000);
    assert.equal(parseRetryAfter('3', NOW), 3000);
    assert.equal(parseRetryAfter('0.5', NOW), 500);
    assert.equal(parseRetryAfter(new Date(NOW + 7000).toUTCString(), NOW), 7000);
  });

  it('rounds fractional seconds up: never earlier than asked', () => {
    assert.equal(parseRetryAfter('0.0001', NOW), 1);
    assert.equal(parseRetryAfter('1.2345', NOW), 1235);
  });

  it('treats a date in the past as now and garbage as absent', () => {
    assert.equal(parseRetryAfter(new Date(NOW - 90_000).toUTCString(), NOW), 0);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW), 0, 'a past date means now');
    assert.equal(parseRetryAfter('soon', NOW), null);
    assert.equal(parseRetryAfter('', NOW), null);
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

  it('backs off exponentially within [step/2, step], capped; Retry-After wins but is capped too', () => {
    const judge = { baseMs: 100, maxMs: 10_000 };
    assert.equal(backoffDelay(1, { ...judge, random: () => 0 }), 50);
    assert.equal(backoffDelay(1, { ...judge, random: () => 1 }), 100);
    assert.equal(backoffDelay(4, { ...judge, random: () => 1 }), 800);
    assert.equal(backoffDelay(20, { ...judge, random: () => 1 }), 10_000);
    assert.equal(retryDelayMs({ attempt: 1, retryAfterMs: 2000, baseMs: 100, maxMs: 10_000 }), 2000);
    assert.equal(retryDelayMs({ attempt: 1, retryAfterMs: 60_000, baseMs: 100, maxMs: 10_000 }), 10_000);
  });
});

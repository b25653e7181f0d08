import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmission } from './admission.ts';

test('requests are admitted up to maxRequests and again once answered', () => {
  const a = createAdmission({ maxPendingEvents: 100, maxRequests: 2 });
  assert.equal(a.tryEnter(), true);
  assert.equal(a.tryEnter(), true);
  assert.equal(a.tryEnter(), false);
  assert.match(a.describe(), /2 requests are in progress \(INGEST_MAX_CONCURRENT_REQUESTS 2\)/);
  a.done();
  assert.equal(a.tryEnter(), true);
  assert.deepEqual(a.counters(), { pendingEvents: 0, requests: 2, refused: 1 });
});

test('held events never pass the bound; a release frees them once, however often it is called', () => {
  const a = createAdmission({ maxPendingEvents: 100, maxRequests: 10 });
  const first = a.hold(60);
  assert.ok(first);
  assert.equal(a.hold(41), null, '60 + 41 would pass 100');
  assert.match(a.describe(), /60 events are waiting to be stored \(INGEST_MAX_PENDING_EVENTS 100\), and this request brings 41 more/);
  const second = a.hold(40);
  assert.ok(second);
  assert.equal(a.tryEnter(), false, 'at the bound, new requests are refused before their body is read');
  first();
  first();
  assert.equal(a.counters().pendingEvents, 40);
  assert.equal(a.tryEnter(), true);
  second!();
  assert.deepEqual(a.counters(), { pendingEvents: 0, requests: 1, refused: 2 });
});

test('one request larger than the bound goes through when nothing else is held, so it is not refused forever', () => {
  const a = createAdmission({ maxPendingEvents: 10, maxRequests: 10 });
  const big = a.hold(50);
  assert.ok(big);
  assert.equal(a.hold(1), null);
  big();
  assert.equal(a.counters().pendingEvents, 0);
});

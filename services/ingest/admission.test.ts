import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAdmission } from './admission.ts';

test('requests are admitted up to maxRequests, and again once answered', () => {
  const a = createAdmission({ maxPendingEvents: 1_000_000, maxRequests: 2 });
  const first = a.tryEnter(100);
  assert.ok(first);
  assert.ok(a.tryEnter(100));
  assert.equal(a.tryEnter(100), null);
  assert.match(a.describe(), /2 requests are in progress \(INGEST_MAX_CONCURRENT_REQUESTS 2\)/);
  first.done();
  first.done();
  assert.ok(a.tryEnter(100), 'done() frees one slot, once');
  assert.equal(a.tryEnter(100), null);
  assert.equal(a.counters().refused, 2);
});

test('a request reserves the events its Content-Length suggests, so requests past the bound are refused before they are parsed', () => {
  const a = createAdmission({ maxPendingEvents: 100, maxRequests: 100 });
  // 1 KiB per event until a request has been parsed: 60 KiB ≈ 60 events.
  const t1 = a.tryEnter(60 * 1024)!;
  assert.equal(a.counters().reservedEvents, 60);
  assert.equal(a.tryEnter(50 * 1024), null, '60 reserved + ~50 would pass 100');
  assert.match(a.describe(), /60 events are waiting to be stored \(INGEST_MAX_PENDING_EVENTS 100\)/);
  const t2 = a.tryEnter(30 * 1024)!;
  // Parsed: the real count replaces the estimate.
  const release1 = t1.hold(60)!;
  assert.deepEqual({ ...a.counters(), refused: 0 }, { pendingEvents: 60, reservedEvents: 30, requests: 2, refused: 0 });
  t2.done(); // e.g. answered 400
  assert.equal(a.counters().reservedEvents, 0);
  release1();
  release1();
  t1.done();
  assert.deepEqual(a.counters(), { pendingEvents: 0, reservedEvents: 0, requests: 0, refused: 1 });
});

test('held events never pass the bound, whatever the estimate said', () => {
  const a = createAdmission({ maxPendingEvents: 100, maxRequests: 100 });
  const t1 = a.tryEnter(10)!; // a tiny Content-Length for many events
  const t2 = a.tryEnter(10)!;
  assert.ok(t1.hold(80));
  assert.equal(t2.hold(30), null, '80 + 30 would pass 100');
  assert.match(a.describe(), /80 events are waiting to be stored \(INGEST_MAX_PENDING_EVENTS 100\), and this request brings 30 more/);
  assert.equal(a.counters().pendingEvents, 80);
});

test('the bytes-per-event estimate learns from parsed requests', () => {
  const a = createAdmission({ maxPendingEvents: 1_000_000, maxRequests: 100 });
  for (let i = 0; i < 30; i++) {
    const t = a.tryEnter(4096 * 10)!;
    t.hold(10)!();
    t.done();
  }
  a.tryEnter(4096 * 100);
  assert.ok(Math.abs(a.counters().reservedEvents - 100) <= 2, `reserved ${a.counters().reservedEvents} for 100 events of 4 KiB`);
});

test('one request larger than the bound goes through when nothing else is held, so it is not refused forever', () => {
  const a = createAdmission({ maxPendingEvents: 10, maxRequests: 10 });
  const t = a.tryEnter(500 * 1024)!;
  assert.ok(t, 'nothing held: admitted');
  const release = t.hold(500)!;
  assert.ok(release);
  assert.equal(a.tryEnter(10), null);
  release();
  t.done();
  assert.ok(a.tryEnter(10));
});

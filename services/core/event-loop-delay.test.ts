import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLoopDelay } from './event-loop-delay.ts';

test('a blocked event loop shows in the window that saw it, then rotates into last', async () => {
  const read = eventLoopDelay(400);
  await new Promise((r) => setTimeout(r, 50));
  const until = Date.now() + 120;
  while (Date.now() < until); // block the loop ~120 ms
  await new Promise((r) => setTimeout(r, 30));
  const during = read().current;
  assert.ok(during.max_ms >= 80, `max ${during.max_ms} ms after a 120 ms block`);
  assert.ok(during.p50_ms <= during.p99_ms && during.p99_ms <= during.max_ms);
  await new Promise((r) => setTimeout(r, 500));
  const after = read();
  assert.ok(after.last, 'a complete window exists after 400 ms');
  assert.ok(after.current.max_ms < during.max_ms, 'the new window does not carry the old block');
});

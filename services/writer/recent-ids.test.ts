import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentIds } from './recent-ids.ts';

test('remembers up to its capacity and evicts the oldest first', () => {
  const r = new RecentIds(3);
  for (const id of ['a', 'b', 'c', 'd']) r.add(id);
  assert.equal(r.size, 3);
  assert.equal(r.has('a'), false);
  assert.equal(r.has('d'), true);
});

test('capacity 0 disables it', () => {
  const r = new RecentIds(0);
  r.add('a');
  assert.equal(r.has('a'), false);
});

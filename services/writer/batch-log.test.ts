import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBatches } from './batch-log.ts';

const fresh = (a: number, b: number) => `new:${a}-${b}`;

test('with nothing logged, a delivery is one new batch', () => {
  assert.deepEqual(planBatches({ first: 10, last: 19 }, [], fresh), [{ first: 10, last: 19, token: 'new:10-19', partial: false }]);
});

test('a replay is cut along the logged boundaries and reuses their tokens', () => {
  const logged = [
    { first: 10, last: 14, token: 'A', rows: 5 },
    { first: 15, last: 17, token: 'B' },
  ];
  assert.deepEqual(planBatches({ first: 10, last: 25 }, logged, fresh), [
    { first: 10, last: 14, token: 'A', partial: false, replayOf: { rows: 5 } },
    { first: 15, last: 17, token: 'B', partial: false, replayOf: { rows: undefined } },
    { first: 18, last: 25, token: 'new:18-25', partial: false },
  ]);
});

test('a delivery that holds only the head of a logged batch is marked partial and never reuses the token', () => {
  const plan = planBatches({ first: 10, last: 12 }, [{ first: 10, last: 14, token: 'A' }], fresh);
  assert.equal(plan.length, 1);
  assert.equal(plan[0].partial, true);
  assert.notEqual(plan[0].token, 'A');
});

test('logged batches before the delivery are ignored', () => {
  assert.deepEqual(planBatches({ first: 20, last: 21 }, [{ first: 10, last: 14, token: 'A' }], fresh), [{ first: 20, last: 21, token: 'new:20-21', partial: false }]);
});

test('the in-memory batch log returns what was recorded until it is committed', async () => {
  const { createMemoryBatchLog } = await import('./batch-log.ts');
  const log = createMemoryBatchLog();
  await log.record([{ topic: 't', partition: 0, first: 0, last: 9 }], 'A', 10);
  await log.record([{ topic: 't', partition: 0, first: 10, last: 19 }], 'B', 10);
  assert.deepEqual((await log.pending('t', 0, 5)).map((b) => b.token), ['A', 'B']);
  assert.deepEqual(await log.pending('t', 1, 0), [], 'per partition');
  log.committed?.('t', 0, 9);
  assert.deepEqual((await log.pending('t', 0, 0)).map((b) => b.token), ['B']);
  log.committed?.('t', 0, 19);
  assert.deepEqual(await log.pending('t', 0, 0), []);
});

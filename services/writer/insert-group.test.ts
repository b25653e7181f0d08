import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInsertGroup } from './insert-group.ts';

const LIMITS = { maxRows: 100, maxBytes: 1_000_000, quietMs: 5, maxWaitMs: 2_000 };

function recorder() {
  const inserts: string[][] = [];
  let fail: Error | null = null;
  return {
    inserts,
    failNext(err: Error) {
      fail = err;
    },
    insert: async (pieces: string[]) => {
      await sleep(1);
      if (fail) {
        const err = fail;
        fail = null;
        throw err;
      }
      inserts.push(pieces);
    },
  };
}

/** One delivery: enter, add its piece, wait for the insert, leave. */
async function deliver(g: ReturnType<typeof createInsertGroup<string>>, piece: string, rows = 1): Promise<void> {
  g.enter();
  try {
    await g.add(piece, rows, 10);
  } finally {
    g.leave();
  }
}

describe('insert group', () => {
  it('one insert for the deliveries in flight together, once all of them wait on it', async () => {
    const r = recorder();
    const g = createInsertGroup<string>(LIMITS, r.insert);
    for (let i = 0; i < 3; i++) g.enter(); // three partitions delivered by one fetch
    const done = ['p0', 'p1', 'p2'].map(async (p, i) => {
      await sleep(i * 2); // they arrive a moment apart
      try {
        await g.add(p, 10, 100);
      } finally {
        g.leave();
      }
    });
    await Promise.all(done);
    assert.deepEqual(r.inserts, [['p0', 'p1', 'p2']]);
  });

  it('does not wait for deliveries that are not in flight: a lone delivery is inserted at once', async () => {
    const r = recorder();
    const g = createInsertGroup<string>({ ...LIMITS, quietMs: 0 }, r.insert);
    const t0 = Date.now();
    await deliver(g, 'alone');
    assert.deepEqual(r.inserts, [['alone']]);
    assert.ok(Date.now() - t0 < 500, 'no wait for the group deadline');
  });

  it('cuts an insert at maxRows without waiting for the rest in flight', async () => {
    const r = recorder();
    const g = createInsertGroup<string>({ ...LIMITS, maxRows: 50 }, r.insert);
    g.enter();
    g.enter();
    const big = g.add('big', 60, 10).finally(() => g.leave());
    await big;
    assert.deepEqual(r.inserts, [['big']], 'flushed although the second delivery had not added yet');
    await g.add('late', 1, 10).finally(() => g.leave());
    assert.deepEqual(r.inserts, [['big'], ['late']]);
  });

  it('a delivery in flight that never adds holds the others back only until maxWaitMs', async () => {
    const r = recorder();
    const g = createInsertGroup<string>({ ...LIMITS, maxWaitMs: 60 }, r.insert);
    g.enter(); // busy elsewhere (e.g. a replay), never adds here
    const t0 = Date.now();
    await deliver(g, 'waiting');
    const waited = Date.now() - t0;
    assert.deepEqual(r.inserts, [['waiting']]);
    assert.ok(waited >= 55, `waited ${waited} ms for the deadline`);
    g.leave();
  });

  it('a failed insert rejects every piece it carried; the next insert is unaffected', async () => {
    const r = recorder();
    const g = createInsertGroup<string>(LIMITS, r.insert);
    r.failNext(new Error('store down'));
    g.enter();
    g.enter();
    const a = g.add('a', 1, 1).finally(() => g.leave());
    const b = g.add('b', 1, 1).finally(() => g.leave());
    const results = await Promise.allSettled([a, b]);
    assert.deepEqual(results.map((x) => x.status), ['rejected', 'rejected']);
    assert.match(String((results[0] as PromiseRejectedResult).reason), /store down/);
    await deliver(g, 'c');
    assert.deepEqual(r.inserts, [['c']]);
  });

  it('pieces that come while an insert runs go into the next one, in order', async () => {
    const order: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((res) => (release = res));
    const g = createInsertGroup<string>({ ...LIMITS, quietMs: 0 }, async (pieces) => {
      if (pieces.includes('first')) await gate;
      order.push(pieces.join('+'));
    });
    const first = deliver(g, 'first');
    await sleep(5);
    g.enter();
    g.enter();
    const second = g.add('second', 1, 1).finally(() => g.leave());
    const third = g.add('third', 1, 1).finally(() => g.leave());
    await sleep(5);
    release();
    await Promise.all([first, second, third]);
    assert.deepEqual(order, ['first', 'second+third']);
  });
});

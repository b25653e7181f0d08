import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Store } from './store.ts';
import { isOutOfSpace, watchWriteSpace } from './write-space.ts';

const full = new PipelineError(ErrorCodes.STORE_QUERY_FAILED, 'store insert into traces: ClickHouse 243 NOT_ENOUGH_SPACE: Cannot reserve 1.00 MiB, not enough space', { chCode: 243 });

function storeFailingWith(errors: (Error | null)[]): Store {
  return {
    async insert() {
      const e = errors.shift();
      if (e) throw e;
    },
    query: async () => [],
    queryJsonLines: async () => '',
    command: async () => {},
    ping: async () => true,
    close: async () => {},
  };
}

describe('write space', () => {
  it('knows a full disk by the engine code or the OS error, and nothing else', () => {
    assert.equal(isOutOfSpace(full), true);
    assert.equal(isOutOfSpace(Object.assign(new Error('write failed'), { code: 'ENOSPC' })), true);
    assert.equal(isOutOfSpace(new Error('Cannot write to file data/x.bin: No space left on device')), true);
    assert.equal(isOutOfSpace(new PipelineError(ErrorCodes.STORE_UNAVAILABLE, 'store insert: ClickHouse unavailable: ECONNREFUSED', { retryable: true })), false);
    assert.equal(isOutOfSpace(new PipelineError(ErrorCodes.STORE_QUERY_FAILED, 'ClickHouse 60 UNKNOWN_TABLE', { chCode: 60 })), false);
    assert.equal(isOutOfSpace(null), false);
  });

  it('a failed insert starts a spell, the next good insert ends it, the error still reaches the caller', async () => {
    let t = 1_000;
    const { store, space } = watchWriteSpace(storeFailingWith([full, full, null]), { now: () => t });
    assert.equal(space.outOfSpace(), null);
    await assert.rejects(store.insert('traces', [{}]), /NOT_ENOUGH_SPACE/);
    t = 2_000;
    await assert.rejects(store.insert('traces', [{}]), /NOT_ENOUGH_SPACE/);
    assert.deepEqual(space.outOfSpace(), { since: 1_000, message: full.message }, 'the spell started at the first failure');
    await store.insert('traces', [{}]);
    assert.equal(space.outOfSpace(), null);
  });

  it('a small insert into another table that fits does not end it; the failed table going through does', async () => {
    let t = 0;
    const { store, space } = watchWriteSpace(storeFailingWith([full, null, null]), { now: () => t });
    await assert.rejects(store.insert('traces', [{}]));
    t = 500;
    await store.insert('anomaly_progress', [{}]); // a 1-row part found room
    assert.deepEqual(space.outOfSpace(), { since: 0, message: full.message }, 'still full for traces');
    await store.insert('traces', [{}]);
    assert.equal(space.outOfSpace(), null);
  });

  it('a spell ends by itself holdMs after its last failure (nobody may retry that insert)', async () => {
    let t = 0;
    const { store, space } = watchWriteSpace(storeFailingWith([full]), { now: () => t, holdMs: 15_000 });
    await assert.rejects(store.insert('anomaly_progress', [{}]));
    t = 15_000;
    assert.notEqual(space.outOfSpace(), null);
    t = 15_001;
    assert.equal(space.outOfSpace(), null);
  });

  it('other failures leave the state alone', async () => {
    const { store, space } = watchWriteSpace(storeFailingWith([new Error('socket hang up')]));
    await assert.rejects(store.insert('traces', [{}]));
    assert.equal(space.outOfSpace(), null);
  });
});

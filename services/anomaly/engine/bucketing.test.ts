import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketSeries, formatBucketSummary, inferIntervalMs } from './bucketing.ts';

const M = 60_000;

describe('bucketing onto the series interval', () => {
  it('merges repeated and sub-interval timestamps by the aggregation, keeps gaps missing', () => {
    const rows = [
      { ms: 0, value: 2 },
      { ms: M, value: 4 },
      { ms: M, value: 6 }, // repeated
      { ms: 4 * M, value: 1 }, // slots 2 and 3 missing
      { ms: 4 * M + 20_000, value: 5 }, // jitter inside slot 4
    ];
    const mean = bucketSeries(rows, M, 'mean');
    assert.deepEqual(mean.values, [2, 5, null, null, 3]);
    assert.deepEqual(mean.summary, { rows: 5, slots: 5, merged: 2, outOfOrder: 0, missing: 2 });
    assert.deepEqual(bucketSeries(rows, M, 'sum').values, [2, 10, null, null, 6]);
    assert.deepEqual(bucketSeries(rows, M, 'max').values, [2, 6, null, null, 5]);
    assert.deepEqual(mean.rowsOf[1], [1, 2]);
  });

  it('sorts out-of-order rows into their slots and counts them', () => {
    const b = bucketSeries([{ ms: 2 * M, value: 3 }, { ms: 0, value: 1 }, { ms: M, value: 2 }], M, 'sum');
    assert.deepEqual(b.values, [1, 2, 3]);
    assert.equal(b.summary.outOfOrder, 1);
    assert.equal(b.t0, 0);
  });

  it('rounds jittered samples to the nearest slot', () => {
    const b = bucketSeries([{ ms: 0, value: 1 }, { ms: M - 5_000, value: 2 }, { ms: 2 * M + 29_000, value: 3 }], M, 'mean');
    assert.deepEqual(b.values, [1, 2, 3]);
    assert.equal(b.summary.merged, 0);
  });

  it('infers the interval as the median positive gap, ignoring repeats; prints one summary line', () => {
    assert.equal(inferIntervalMs([0, 300_000, 300_000, 600_000, 1_200_000, 900_000]), 300_000);
    assert.equal(inferIntervalMs([5]), 60_000);
    assert.equal(formatBucketSummary({ rows: 10, slots: 9, merged: 2, outOfOrder: 1, missing: 1 }, 60_000, 'mean'), '10 rows onto 9 slots of 60s (mean): 2 merged, 1 out of order, 1 missing');
  });

  it('returns no slots for no rows and refuses a non-positive interval', () => {
    assert.equal(bucketSeries([], M, 'mean').values.length, 0);
    assert.throws(() => bucketSeries([{ ms: 0, value: 1 }], 0, 'mean'), RangeError);
  });
});

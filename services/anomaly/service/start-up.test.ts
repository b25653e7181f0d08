import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DAY_MS, MINUTE_MS } from '../../core/time.ts';
import { bySeries, catchUpPlan } from './start-up.ts';
import { emptyAggregate } from '../detectors/metric-values.ts';

const T = Date.UTC(2025, 2, 3, 10, 5, 30);
const at = (h: number, m: number) => Date.UTC(2025, 2, 3, h, m);

describe('catchUpPlan', () => {
  it('judges from the minute after the last judged one up to the last minute past its grace period', () => {
    const p = catchUpPlan({ at: T, graceMs: 60_000, progress: at(10, 0), catchupMinutes: 30, warmDays: 8 });
    assert.equal(p.lastClosable, at(10, 3));
    assert.equal(p.catchupFrom, at(10, 1));
    assert.deepEqual(p.warm, { fromMs: at(10, 1) - 8 * DAY_MS, toMs: at(10, 1) });
  });

  it('catches up at most catchupMinutes, and without progress only those', () => {
    assert.equal(catchUpPlan({ at: T, graceMs: 60_000, progress: at(8, 0), catchupMinutes: 30, warmDays: 8 }).catchupFrom, at(10, 3) - 29 * MINUTE_MS);
    assert.equal(catchUpPlan({ at: T, graceMs: 60_000, progress: null, catchupMinutes: 1, warmDays: 8 }).catchupFrom, at(10, 3));
  });

  it('judges nothing when every closable minute is judged, and warms nothing with warmDays 0', () => {
    const p = catchUpPlan({ at: T, graceMs: 60_000, progress: at(10, 3), catchupMinutes: 30, warmDays: 0 });
    assert.ok(p.catchupFrom > p.lastClosable);
    assert.equal(p.warm, null);
  });
});

it('bySeries regroups rollup minutes per series, minutes ascending', () => {
  const a = { feature: 'chat', model: 'm' };
  const b = { feature: 'search', model: 'm' };
  const rows = (minute: number, ...ids: (typeof a)[]) => ({ minute, rows: ids.map((series) => ({ series, agg: emptyAggregate(minute) })) });
  const out = bySeries([rows(0, a, b), rows(MINUTE_MS, b)]);
  assert.deepEqual(out.map((s) => [s.series.feature, s.aggs.map((g) => g.minute)]), [['chat', [0]], ['search', [0, MINUTE_MS]]]);
});

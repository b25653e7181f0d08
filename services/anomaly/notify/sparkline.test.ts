import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SPARK_CHARS, sparkline } from './sparkline.ts';

describe('sparkline', () => {
  it('maps the minimum to the lowest bar and the maximum to the highest, one character per value', () => {
    assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7]), SPARK_CHARS.join(''));
    assert.equal(sparkline([10, 80, 10]), '▁█▁');
  });

  it('draws empty minutes as gaps and keeps their position', () => {
    assert.equal(sparkline([1, null, 8, Number.NaN]), '▁·█·');
    assert.equal(sparkline([1, null, 8], { gap: ' ' }), '▁ █');
    assert.equal(sparkline([null, null]), '··');
  });

  it('draws a flat series at the lowest height rather than pretending it moves', () => {
    assert.equal(sparkline([5, 5, 5]), '▁▁▁');
  });

  it('keeps the newest values when the series is longer than maxWidth', () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const line = sparkline(values, { maxWidth: 10 });
    assert.equal([...line].length, 10);
    assert.equal(line, sparkline(values.slice(90)));
  });

  it('is empty for an empty series', () => {
    assert.equal(sparkline([]), '');
  });
});

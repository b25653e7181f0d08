import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toClickHouseTime } from './clickhouse-values.ts';

const viaIso = (ms: number) => {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
};

test('toClickHouseTime is the UTC ISO text with a space, for every millisecond it is asked about', () => {
  const fixed = [0, 1, 999, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 1_709_164_800_000 /* 2024-02-29 */, 4_107_542_399_999 /* 2100-02-28 end */, 4_107_542_400_000, 253_402_300_799_999, 1_790_000_000_123.7];
  for (const ms of fixed) assert.equal(toClickHouseTime(ms), viaIso(ms), String(ms));
  let x = 12345;
  const rnd = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 20_000; i++) {
    const ms = Math.floor(rnd() * 253_402_300_800_000);
    assert.equal(toClickHouseTime(ms), viaIso(ms), String(ms));
    // Neighbours share the cached day, or cross into the next one.
    assert.equal(toClickHouseTime(ms + 1), viaIso(ms + 1));
  }
});

test('outside 1970–9999 it falls back to Date; NaN still throws', () => {
  assert.equal(toClickHouseTime(-1), '1969-12-31 23:59:59.999');
  assert.throws(() => toClickHouseTime(Number.NaN), RangeError);
});

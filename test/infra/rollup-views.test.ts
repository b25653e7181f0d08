import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The minute and hour rollup views are written out twice (chaining the hour rollup from
 * the minute one would need -Merge/-State combinators and a second dedup hop); this keeps
 * the two copies identical apart from their bucket function and target, so they cannot drift.
 */
const sql = readFileSync(join(import.meta.dirname, '../../schemas/clickhouse/002_rollups.sql'), 'utf8');

function viewBody(name: string): string {
  const m = new RegExp(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} TO \\w+ AS([\\s\\S]*?);`).exec(sql);
  assert.ok(m, `view ${name} in 002_rollups.sql`);
  return m[1].replace(/\s+/g, ' ').trim();
}

test('the hour rollup view aggregates exactly what the minute one does', () => {
  const minute = viewBody('traces_1m_mv').replace('toStartOfMinute(ts)', 'BUCKET(ts)');
  const hour = viewBody('traces_1h_mv').replace('toStartOfHour(ts)', 'BUCKET(ts)');
  assert.equal(hour, minute);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The four rollup views (minute, hour, and the dashboard-grain hour and day) are written
 * out once per rollup (chaining one from another would need -Merge/-State combinators
 * and a second dedup hop); this keeps their newest definitions identical apart from the
 * bucket function and the group columns, so they cannot drift.
 */
const dir = join(import.meta.dirname, '../../schemas/clickhouse');
const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();

/** The body of the last CREATE of `name` across the migrations (the one in force). */
function viewBody(name: string): { body: string; file: string } {
  let found: { body: string; file: string } | undefined;
  for (const file of files) {
    const sql = readFileSync(join(dir, file), 'utf8');
    const re = new RegExp(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} TO \\w+ AS([\\s\\S]*?);`, 'g');
    for (const m of sql.matchAll(re)) found = { body: m[1].replace(/\s+/g, ' ').trim(), file };
  }
  assert.ok(found, `view ${name} in the migrations`);
  return found;
}

const norm = (name: string, bucket: string, dims: string): string =>
  viewBody(name).body.replace(`${bucket}(ts)`, 'BUCKET(ts)').replaceAll(dims, 'DIMS');

test('every rollup view aggregates exactly what the minute one does', () => {
  const full = 'feature, model, prompt_version, environment';
  const fm = 'feature, model';
  const minute = norm('traces_1m_mv', 'toStartOfMinute', full);
  assert.equal(norm('traces_1h_mv', 'toStartOfHour', full), minute);
  assert.equal(norm('traces_fm_1h_mv', 'toStartOfHour', fm), minute);
  assert.equal(norm('traces_fm_1d_mv', 'toStartOfDay', fm), minute);
});

test('the views in force count the billing parts (012) of model-call spans only (013)', () => {
  for (const v of ['traces_1m_mv', 'traces_1h_mv', 'traces_fm_1h_mv', 'traces_fm_1d_mv']) {
    const { body, file } = viewBody(v);
    assert.equal(file, '013_spans.sql', v);
    assert.match(body, /countIf\(pricing_status = 'fallback_rate'\) AS fallback_rate/);
    assert.match(body, /FROM traces WHERE span_kind IN \('llm', 'embedding'\) GROUP BY/);
  }
});

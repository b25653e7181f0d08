import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silenceMatches } from '../core/alerts/silences.ts';
import { silentLogger } from '../core/logger.ts';
import { MINUTE_MS } from '../core/time.ts';
import { buildQueryApp } from './app.ts';
import { fixtureBase } from '../../test/support/query/known-traces.ts';
import { openTestStore, type TestStore } from '../../test/support/query/test-store.ts';

/** The alert and silence routes against the real embedded engine and the real migrations. */
let db: TestStore;
let base: number;

/** An `alerts` row as the anomaly service stores one state change ('' for "none"). */
function alertRow(feature: string, state: string, at: number, previous: string) {
  return {
    alert_id: `${feature}-${state}-${at}`, rule: 'anomaly', metric: 'cost_usd', feature, model: 'gpt-4o', state, previous, at, started_at: base,
    severity: 'critical', direction: 'up', value: 3, expected: 1, score: 0.99, deviation: 'x3.0', summary: 's', detector: 'robust', prompt_version: 'v2',
    recent: [1, null, 3], covered_by: '', silenced: 0, silence_id: '',
  };
}

before(async () => {
  db = await openTestStore();
  base = fixtureBase();
  // a: pending, then firing (open); b: firing, then resolved
  await db.store.insert('alerts', [alertRow('a', 'pending', base, ''), alertRow('a', 'firing', base + MINUTE_MS, 'pending'), alertRow('b', 'firing', base, ''), alertRow('b', 'resolved', base + MINUTE_MS, 'firing')]);
});
after(async () => db.close());

describe('alert and silence routes', () => {
  it('lists alerts by state and filter, creates, lists and expires silences, and names bad fields', async () => {
    const app = buildQueryApp({ store: db.store, log: silentLogger(), ready: () => true });
    await app.ready();
    try {
      const open = await app.inject({ url: '/v1/alerts?state=open' });
      assert.equal(open.statusCode, 200, open.body);
      assert.deepEqual(open.json().rows.map((r: { feature: string; state: string }) => [r.feature, r.state]), [['a', 'firing']]);
      const all = await app.inject({ url: `/v1/alerts?from=${base - 1}&to=${base + 10 * MINUTE_MS}&feature=b` });
      assert.deepEqual(all.json().rows.map((r: { state: string }) => r.state).sort(), ['firing', 'resolved']);
      const bad = await app.inject({ url: '/v1/alerts?state=burning&limit=0' });
      assert.equal(bad.statusCode, 400);
      assert.deepEqual(bad.json().fields.map((f: { field: string }) => f.field).sort(), ['limit', 'state']);

      const created = await app.inject({ method: 'POST', url: '/v1/silences', payload: { feature: 'support-*', metric: 'cost_usd', duration_minutes: 60, comment: 'planned load test', created_by: 'ana' } });
      assert.equal(created.statusCode, 201, created.body);
      const s = created.json();
      const listed = await app.inject({ url: '/v1/silences' });
      assert.ok(listed.json().rows.some((r: { silence_id: string }) => r.silence_id === s.silence_id));
      const silence = { ...s, starts_at: Date.parse(s.starts_at), ends_at: Date.parse(s.ends_at), created_at: Date.parse(s.created_at) };
      const key = { rule: 'anomaly', metric: 'cost_usd' as const, feature: 'support-chat', model: 'gpt-4o' };
      assert.equal(silenceMatches(silence, key, Date.now()), true);
      assert.equal(silenceMatches(silence, { ...key, feature: 'search' }, Date.now()), false);
      assert.equal(silenceMatches(silence, { ...key, metric: 'latency_p95_ms' }, Date.now()), false);
      const ended = await app.inject({ method: 'DELETE', url: `/v1/silences/${s.silence_id}` });
      assert.equal(ended.statusCode, 200);
      const after = await app.inject({ url: '/v1/silences' });
      assert.ok(!after.json().rows.some((r: { silence_id: string }) => r.silence_id === s.silence_id), 'expired silence is no longer active');

      const noMatcher = await app.inject({ method: 'POST', url: '/v1/silences', payload: { duration_minutes: 5 } });
      assert.equal(noMatcher.statusCode, 400);
      assert.deepEqual(noMatcher.json().fields.map((f: { field: string }) => f.field), ['comment']);
      const everything = await app.inject({ method: 'POST', url: '/v1/silences', payload: { duration_minutes: 5, comment: 'x' } });
      assert.equal(everything.statusCode, 400);
      assert.match(everything.json().message, /^feature: a silence needs at least one matcher/);
      const missing = await app.inject({ method: 'DELETE', url: '/v1/silences/00000000-0000-4000-8000-000000000000' });
      assert.equal(missing.statusCode, 404);
    } finally {
      await app.close();
    }
  });
});

import { DAY_MS, HOUR_MS, MINUTE_MS } from '../core/time.ts';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../core/http-errors.ts';
import { buildMetricsQuery } from './metrics-query.ts';
import { resolveMetricsRequest } from './params.ts';
import { parseInstant } from './time.ts';

const LIMITS = { maxRangeDays: 400, maxMinuteRangeDays: 7 };
const NOW = Date.UTC(2025, 4, 10, 12, 34, 56, 789);

function fieldsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError);
    assert.equal(err.status, 400);
    assert.equal(err.body.error, 'bad_request');
    return err.body.fields ?? [];
  }
  assert.fail('expected a 400');
}

describe('parseInstant', () => {
  it('reads epoch ms and ISO-8601, a missing offset as UTC', () => {
    assert.equal(parseInstant('1715337296789'), 1715337296789);
    assert.equal(parseInstant('2024-05-01'), Date.UTC(2024, 4, 1));
    assert.equal(parseInstant('2024-05-01T10:00'), Date.UTC(2024, 4, 1, 10));
    assert.equal(parseInstant('2024-05-01 10:00:00.5'), Date.UTC(2024, 4, 1, 10, 0, 0, 500));
    assert.equal(parseInstant('2024-05-01T10:00:00+02:00'), Date.UTC(2024, 4, 1, 8));
    assert.equal(parseInstant('2024-05-01T10:00:00Z'), Date.UTC(2024, 4, 1, 10));
  });

  it('rejects non-dates, impossible dates and out-of-range instants', () => {
    for (const bad of ['', 'yesterday', '2024-02-30', '2024-13-01', '1e12', '-5', '2024-05-01T25:00Z', '99999999999999', '1969-12-31']) {
      assert.equal(parseInstant(bad), null, bad);
    }
  });
});

describe('resolveMetricsRequest', () => {
  it('defaults to the last 24 h by hour with no grouping, aligned outward', () => {
    const r = resolveMetricsRequest({}, LIMITS, NOW);
    assert.equal(r.interval, 'hour');
    assert.equal(r.resolution, 'hour');
    assert.deepEqual(r.groupBy, []);
    assert.equal(r.fromMs, Math.floor((NOW - DAY_MS) / HOUR_MS) * HOUR_MS);
    assert.equal(r.toMs, Math.ceil(NOW / HOUR_MS) * HOUR_MS);
  });

  it('without interval, picks the finest one with at most 1,000 buckets', () => {
    const pick = (from: number, to = NOW) => resolveMetricsRequest({ from: String(from), to: String(to) }, LIMITS, NOW).interval;
    assert.equal(pick(NOW - 2 * HOUR_MS), 'minute');
    assert.equal(pick(NOW - 1000 * MINUTE_MS), 'minute');
    assert.equal(pick(NOW - 1001 * MINUTE_MS), 'hour');
    assert.equal(pick(NOW - 30 * DAY_MS), 'hour');
    assert.equal(pick(NOW - 1000 * HOUR_MS), 'hour');
    assert.equal(pick(NOW - 90 * DAY_MS), 'day');
    assert.equal(resolveMetricsRequest({ from: String(NOW - 2 * HOUR_MS), interval: 'hour' }, LIMITS, NOW).interval, 'hour', 'a given interval stays');
  });

  it('splits comma lists, merges repeats, trims and dedupes', () => {
    const r = resolveMetricsRequest(
      { group_by: 'model, feature,model', feature: ['a,b', 'b', ' c '], interval: 'minute' },
      LIMITS,
      NOW,
    );
    assert.deepEqual(r.groupBy, ['model', 'feature']);
    assert.deepEqual(r.filters, { feature: ['a', 'b', 'c'] });
    assert.equal(r.resolution, 'minute');
    assert.equal(r.toMs % MINUTE_MS, 0);
  });

  it('day buckets align to UTC midnight; interval=none picks the rollup by span', () => {
    const day = resolveMetricsRequest({ interval: 'day', from: '2025-05-01T13:00Z', to: '2025-05-03T01:00Z' }, LIMITS, NOW);
    assert.equal(day.fromMs, Date.UTC(2025, 4, 1));
    assert.equal(day.toMs, Date.UTC(2025, 4, 4));
    assert.equal(resolveMetricsRequest({ interval: 'none', from: String(NOW - 7 * DAY_MS) }, LIMITS, NOW).resolution, 'minute');
    assert.equal(resolveMetricsRequest({ interval: 'none', from: String(NOW - 8 * DAY_MS) }, LIMITS, NOW).resolution, 'hour');
  });

  it('400s name the offending parameter', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ group_by: 'feature,user_id' }, 'group_by'],
      [{ group_by: 'feature; DROP TABLE traces' }, 'group_by'],
      [{ interval: 'week' }, 'interval'],
      [{ interval: ['hour', 'day'] }, 'interval'],
      [{ from: 'not-a-date' }, 'from'],
      [{ to: '2024-02-30' }, 'to'],
      [{ from: '2025-05-02', to: '2025-05-01' }, 'from'],
      [{ from: '2025-05-01', to: '2025-05-01' }, 'from'],
      [{ from: '2020-01-01', to: '2025-01-01' }, 'from'],
      [{ interval: 'minute', from: String(NOW - 8 * DAY_MS) }, 'interval'],
      [{ feature: 'x'.repeat(300) }, 'feature'],
      [{ model: Array.from({ length: 101 }, (_, i) => `m${i}`) }, 'model'],
      [{ colour: 'red' }, 'colour'],
    ];
    for (const [query, field] of cases) {
      const fields = fieldsOf(() => resolveMetricsRequest(query, LIMITS, NOW));
      assert.deepEqual(
        fields.map((f) => f.field),
        [field],
        `${JSON.stringify(query).slice(0, 80)} → ${JSON.stringify(fields)}`,
      );
      assert.ok(fields[0].message.length > 0);
    }
  });

  it('reports every bad parameter at once', () => {
    const fields = fieldsOf(() => resolveMetricsRequest({ interval: 'x', group_by: 'y', from: 'z', foo: '1' }, LIMITS, NOW));
    assert.deepEqual(fields.map((f) => f.field).sort(), ['foo', 'from', 'group_by', 'interval']);
  });
});

describe('buildMetricsQuery', () => {
  it('keeps request values out of the SQL text: they are {name:Type} parameters', () => {
    const r = resolveMetricsRequest(
      { interval: 'day', group_by: 'feature,environment', feature: "x' OR 1=1 --", model: 'm', environment: 'e', prompt_version: 'p' },
      LIMITS,
      NOW,
    );
    const q = buildMetricsQuery('overview', r);
    assert.doesNotMatch(q.query, /OR 1=1/);
    assert.match(q.query, /FROM traces_1h/);
    assert.match(q.query, /toStartOfDay\(bucket\) AS bucket_start/);
    for (const p of ['feature', 'model', 'prompt_version', 'environment']) assert.match(q.query, new RegExp(`\\{${p}:Array\\(String\\)\\}`));
    assert.doesNotMatch(q.query, /FROM traces\b(?!_)/, 'never the raw table');
  });

  it('minute reads traces_1m', () => {
    const q = buildMetricsQuery('cost', resolveMetricsRequest({ interval: 'minute' }, LIMITS, NOW));
    assert.match(q.query, /FROM traces_1m/);
  });
});

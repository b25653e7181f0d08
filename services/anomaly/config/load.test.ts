import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import { AlertsConfigError, loadAlertsFile, parseAlertsFile } from './load.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLE = resolve(repoRoot, 'schemas/alerts/alerts.example.json');
const MINIMAL = resolve(repoRoot, 'schemas/alerts/minimal.json');

function issuesOf(json: unknown): string[] {
  try {
    parseAlertsFile(json);
  } catch (err) {
    assert.ok(err instanceof AlertsConfigError);
    return [...err.issues];
  }
  assert.fail('expected the alerts file to be rejected');
}

const slack = { name: 'slack', type: 'slack', url_env: 'SLACK_WEBHOOK_URL' };

describe('alerts file loading', () => {
  it('the shipped example is valid and uses every section', () => {
    const file = loadAlertsFile(EXAMPLE);
    assert.equal(file.version, 1);
    assert.deepEqual(
      file.budgets.map((b) => [b.name, b.feature, b.daily_usd, b.monthly_usd]),
      [
        ['all-features-monthly', '*', undefined, 5000],
        ['support-chat-daily', 'support-chat', 50, undefined],
      ],
    );
    assert.deepEqual(file.thresholds.map((t) => t.metric).sort(), ['error_rate', 'latency_p95_ms']);
    assert.deepEqual(file.receivers.map((r) => [r.type, r.url_env]), [
      ['slack', 'SLACK_WEBHOOK_URL'],
      ['webhook', 'ALERTS_WEBHOOK_URL'],
    ]);
    assert.equal(file.unpriced_models.enabled, true);
    assert.equal(file.digest.cron, '0 9 * * *');
    assert.ok(file.routes.length >= 3);
  });

  it('{ "version": 1 } is a working file with every default filled in', () => {
    const file = loadAlertsFile(MINIMAL);
    assert.deepEqual(file, {
      version: 1,
      grace_seconds: 120,
      repeat_interval_minutes: 240,
      group_min_features: 3,
      metrics: {},
      budgets: [],
      thresholds: [],
      unpriced_models: { enabled: true, severity: 'warning' },
      receivers: [],
      routes: [],
      digest: { cron: '0 9 * * *', receivers: [] },
    });
  });

  it('fills rule defaults (warn_at, projection, for_minutes, min_requests, severity, feature/model *)', () => {
    const file = parseAlertsFile({ version: 1, budgets: [{ name: 'b', daily_usd: 10 }], thresholds: [{ name: 't', metric: 'error_rate', above: 0.1 }] });
    assert.deepEqual(file.budgets[0], { name: 'b', feature: '*', daily_usd: 10, warn_at: 0.8, warn_on_projection: true });
    assert.deepEqual(file.thresholds[0], { name: 't', metric: 'error_rate', feature: '*', model: '*', above: 0.1, for_minutes: 3, min_requests: 1, severity: 'critical' });
  });

  it('names the exact path of every field problem at once', () => {
    const issues = issuesOf({
      version: 1,
      surprise: true,
      metrics: { latency: {} },
      budgets: [{ name: 'no-amount', feature: 'support-chat' }, { name: 'neg', monthly_usd: -5, warn_at: 1.5 }],
      thresholds: [{ name: 'typo', metric: 'latency_p99_ms', above: 1 }, { name: 'nolimit', metric: 'error_rate', colour: 'red' }],
    });
    assert.deepEqual(issues, [
      'metrics.latency: unknown field',
      'budgets[0].daily_usd: set daily_usd, monthly_usd or both',
      'budgets[1].monthly_usd: must be > 0',
      'budgets[1].warn_at: must be < 1',
      'thresholds[0].metric: expected one of requests, cost_usd, tokens_per_request, latency_p95_ms, error_rate, eval_score, negative_feedback_rate, unpriced_events',
      'thresholds[1].colour: unknown field',
      'thresholds[1].above: set above, below or both',
      'surprise: unknown field',
    ]);
  });

  it('names every cross-reference problem at once: unknown receivers, fire_k > fire_n, duplicate and reserved names', () => {
    const issues = issuesOf({
      version: 1,
      metrics: { error_rate: { fire_k: 5, fire_n: 3 } },
      budgets: [{ name: 'spend', daily_usd: 10 }, { name: 'unpriced_model', monthly_usd: 10 }],
      thresholds: [{ name: 'spend', metric: 'requests', below: 1 }],
      receivers: [slack, { ...slack, url_env: 'OTHER' }],
      routes: [{ match: { feature: 'support-*' }, receivers: ['slack', 'pagerduty'] }],
      digest: { receivers: ['email'] },
    });
    assert.deepEqual(issues, [
      'receivers[1].name: duplicate receiver name "slack"',
      'budgets[1].name: "unpriced_model" is reserved for built-in rules',
      'thresholds[0].name: duplicate rule name "spend"',
      'routes[0].receivers[1]: unknown receiver "pagerduty"',
      'digest.receivers[0]: unknown receiver "email"',
      'metrics.error_rate.fire_k: fire_k must be <= fire_n',
    ]);
  });

  it('rejects another version, a bad URL, cron and env var name', () => {
    assert.deepEqual(issuesOf({ version: 2 }), ['version: unsupported version: this build reads version 1']);
    assert.deepEqual(issuesOf({ version: 1, query_api_url: 'localhost', digest: { cron: '9 * *' }, receivers: [{ ...slack, url_env: 'https://hooks.slack.com/x' }] }), [
      'query_api_url: Invalid URL',
      'receivers[0].url_env: expected an environment variable name',
      'digest.cron: expected a cron expression with 5 or 6 fields',
    ]);
  });

  it('reports type errors and cross-field errors together, and refuses globs and crossed limits in thresholds', () => {
    assert.deepEqual(
      issuesOf({ version: 1, grace_seconds: 'x', routes: [{ receivers: ['nope'] }], thresholds: [{ name: 't', metric: 'requests', feature: 'a-*', above: 1, below: 5 }] }),
      [
        'grace_seconds: expected a number',
        'thresholds[0].feature: a name or "*" (the aggregate over all), not a glob: one rule watches one series',
        'thresholds[0].above: above must be greater than below (a value is a breach when it is above `above` or below `below`)',
        'routes[0].receivers[0]: unknown receiver "nope"',
      ],
    );
  });

  it('fails with CONFIG_INVALID naming the file when it is unreadable or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerts-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "version": 1, }');
    for (const path of [bad, join(dir, 'missing.json')]) {
      assert.throws(
        () => loadAlertsFile(path),
        (err: unknown) => {
          assert.ok(err instanceof AlertsConfigError && err instanceof PipelineError);
          assert.equal(err.code, ErrorCodes.CONFIG_INVALID);
          assert.ok(err.message.startsWith(`invalid alerts file (${path}):\n  (file): `), err.message);
          assert.match(err.issues[0], path === bad ? /^\(file\): not valid JSON: / : /^\(file\): cannot read: /);
          return true;
        },
      );
    }
  });
});

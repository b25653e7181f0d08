import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { silentLogger } from '../../core/logger.ts';
import { eventually } from '../../../test/helpers/service-process.ts';
import { startSlackReceiver, type SlackReceiver } from '../../../test/helpers/slack-receiver.ts';
import { tempDir } from '../../../test/helpers/temp-dir.ts';
import { alertsFileSchema, type AlertsFile } from '../config/alerts-file.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { T0, alertEvent, alertGroup } from '../../../test/support/anomaly/alert-events.ts';
import type { WebhookAlertPayload } from './webhook-payload.ts';

const WAIT = 15_000;
type SlackBody = { text: string; blocks: { type: string; text?: { text: string } }[] };
const headerOf = (b: unknown) => (b as SlackBody).blocks.find((x) => x.type === 'header')?.text?.text ?? '';

describe('notifier', () => {
  let dir: { path: string; cleanup: () => void };
  let slack: SlackReceiver;
  let hook: SlackReceiver;
  let notifiers: Notifier[];
  let file: AlertsFile;

  const env = () => ({ SLACK_URL: slack.url, HOOK_URL: hook.url });
  const start = (over: { file?: AlertsFile; env?: Record<string, string> } = {}) => {
    const n = createNotifier({ outboxDir: dir.path, file: over.file ?? file, env: over.env ?? env(), log: silentLogger(), deliverer: { baseBackoffMs: 20, maxBackoffMs: 200 } });
    notifiers.push(n);
    n.start();
    return n;
  };

  // One incident: error_rate on checkout fires, then resolves.
  const firing = alertEvent({ key: { metric: 'error_rate' }, state: 'firing', previous: 'pending', value: 0.3, expected: 0.01, at: T0 + 5 * 60_000 });
  const resolved = alertEvent({ key: { metric: 'error_rate' }, state: 'resolved', previous: 'firing', value: 0.01, expected: 0.01, at: T0 + 40 * 60_000 });
  const firingGroup = alertGroup([firing], { group_id: `g-${firing.alert_id}` });
  const resolvedGroup = alertGroup([resolved], { group_id: `g-${resolved.alert_id}` });

  beforeEach(async () => {
    dir = tempDir('notifier');
    slack = await startSlackReceiver();
    hook = await startSlackReceiver({ path: '/hooks/alerts' });
    notifiers = [];
    file = alertsFileSchema.parse({
      version: 1,
      query_api_url: 'https://query.example.com',
      receivers: [
        { name: 'slack', type: 'slack', url_env: 'SLACK_URL', allow_private: true },
        { name: 'hook', type: 'webhook', url_env: 'HOOK_URL', allow_private: true },
      ],
      routes: [{ match: { metric: 'error_rate' }, receivers: ['slack', 'hook'] }],
      digest: { receivers: ['slack'] },
    });
  });
  afterEach(async () => {
    for (const n of notifiers) await n.stop();
    await slack.stop();
    await hook.stop();
    dir.cleanup();
  });

  it('sends one firing and one resolved message per receiver for one incident, even when re-notified', async () => {
    const n = start();
    await n.notify([firingGroup]);
    await n.notify([resolvedGroup]);
    await n.notify([firingGroup, resolvedGroup]); // the same minutes judged again
    await eventually(async () => n.stats().outbox.delivered, (d) => d === 4, WAIT, 'four deliveries');

    assert.deepEqual(slack.accepted().map((r) => headerOf(r.body)), ['🔴 Firing: error_rate — checkout · gpt-4o', '✅ Resolved: error_rate — checkout · gpt-4o']);
    const hooks = hook.accepted().map((r) => r.body as WebhookAlertPayload);
    assert.deepEqual(hooks.map((b) => [b.version, b.kind, b.state, b.group_id, b.events.map((e) => e.alert_id)]), [
      [1, 'alert', 'firing', firingGroup.group_id, [firing.alert_id]],
      [1, 'alert', 'resolved', resolvedGroup.group_id, [resolved.alert_id]],
    ]);
    assert.deepEqual(hook.accepted().map((r) => r.headers['idempotency-key']), [`${firingGroup.group_id}:hook`, `${resolvedGroup.group_id}:hook`]);
    assert.equal(hooks[0].links?.firing_alerts, 'https://query.example.com/v1/alerts?state=firing');
  });

  it('does not send again after a restart that re-processes the same alerts', async () => {
    const n = start();
    await n.notify([firingGroup]);
    await eventually(async () => n.stats().outbox.delivered, (d) => d === 2, WAIT, 'delivered');
    await n.stop();
    const again = start();
    await again.notify([firingGroup]);
    await again.notify([resolvedGroup]);
    await eventually(async () => again.stats().outbox.delivered, (d) => d === 4, WAIT, 'resolved delivered');
    assert.equal(slack.accepted().length, 2);
    assert.equal(hook.accepted().length, 2);
  });

  it('sends nothing for pending, pending → resolved or covered events, nor for unrouted ones', async () => {
    const n = start();
    await n.notify([
      alertGroup([alertEvent({ key: { metric: 'error_rate' }, state: 'pending', previous: null })], { group_id: 'pending' }),
      alertGroup([alertEvent({ key: { metric: 'error_rate' }, state: 'resolved', previous: 'pending' })], { group_id: 'never-fired' }),
      alertGroup([alertEvent({ key: { metric: 'error_rate', model: 'gpt-4o-mini' }, covered_by: 'anomaly|error_rate|checkout|*' })], { group_id: 'covered' }),
      alertGroup([alertEvent({ key: { metric: 'cost_usd' } })], { group_id: 'unrouted' }),
    ]);
    const { pending, delivered, failed, journal_records } = n.stats().outbox;
    assert.deepEqual({ pending, delivered, failed, journal_records }, { pending: 0, delivered: 0, failed: 0, journal_records: 0 });
  });

  it('sends each receiver only the events routed to it', async () => {
    const routed = alertsFileSchema.parse({ ...file, routes: [{ match: { feature: 'search*' }, receivers: ['hook'], continue: true }, { receivers: ['slack'] }] });
    const n = start({ file: routed });
    const events = ['checkout', 'search', 'search-v2'].map((feature) => alertEvent({ key: { metric: 'error_rate', feature } }));
    await n.notify([alertGroup(events, { group_id: 'outage', common: { metric: 'error_rate', model: 'gpt-4o', state: 'firing' } })]);
    await eventually(async () => n.stats().outbox.delivered, (d) => d === 2, WAIT, 'delivered');
    assert.deepEqual((hook.accepted()[0].body as WebhookAlertPayload).events.map((e) => e.key.feature), ['search', 'search-v2']);
    assert.match(headerOf(slack.accepted()[0].body), /on 3 features/);
  });

  it('sends a digest once to the digest receivers', async () => {
    const n = start();
    await n.notifyDigest('Daily digest: 3 alerts yesterday');
    await n.notifyDigest('Daily digest: 3 alerts yesterday');
    await eventually(async () => n.stats().outbox.delivered, (d) => d === 1, WAIT, 'digest delivered');
    assert.deepEqual(slack.accepted().map((r) => r.body), [{ text: 'Daily digest: 3 alerts yesterday' }]);
    assert.equal(hook.received.length, 0);
  });

  it('refuses to start when a receiver URL variable is unset, naming receiver and variable only', () => {
    assert.throws(() => start({ env: { SLACK_URL: slack.url } }), (err: Error) => {
      assert.match(err.message, /receiver "hook": environment variable HOOK_URL is not set/);
      assert.ok(!err.message.includes(slack.url));
      return true;
    });
    assert.throws(() => start({ env: { SLACK_URL: 'not a url', HOOK_URL: hook.url } }), /receiver "slack": environment variable SLACK_URL does not hold a valid URL/);
    assert.throws(() => start({ env: { SLACK_URL: 'ftp://x/y', HOOK_URL: hook.url } }), /SLACK_URL must hold an http or https URL/);
  });
});

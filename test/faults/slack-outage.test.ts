import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../services/core/logger.ts';
import { alertsFileSchema } from '../../services/anomaly/config/alerts-file.ts';
import { createNotifier, type Notifier } from '../../services/anomaly/notify/notifier.ts';
import { alertEvent, alertGroup, T0 } from '../support/anomaly/alert-events.ts';
import { startSlackReceiver, type SlackReceiver } from '../helpers/slack-receiver.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/**
 * Fault: Slack is down for 10 minutes (connections refused), while an incident fires and
 * resolves and the notifier itself is restarted in the middle of the outage. Time is
 * simulated (the deliverer's clock), the receiver is a real HTTP server, the outbox a real
 * journal on disk, and the backoff the production default (1 s doubling to 5 min). Once
 * Slack is back, both messages arrive, in order, exactly once.
 */
const MINUTE = 60_000;
const dir = tempDir('fault-slack-outage');
let slack: SlackReceiver;
let notifier: Notifier;
let clock = T0;

const file = () =>
  alertsFileSchema.parse({ version: 1, receivers: [{ name: 'oncall', type: 'slack', url_env: 'SLACK_URL', allow_private: true }], routes: [{ receivers: ['oncall'] }] });
const open = () => {
  const n = createNotifier({ outboxDir: dir.path, file: file(), env: { SLACK_URL: `${slack.url}/services/T/B/x` }, log: silentLogger(), now: () => clock });
  n.start();
  return n;
};
const firing = alertEvent({ key: { metric: 'cost_usd', feature: 'support-chat' }, state: 'firing', previous: 'pending', at: T0 });
const resolved = alertEvent({ key: { metric: 'cost_usd', feature: 'support-chat' }, state: 'resolved', previous: 'firing', at: T0 + 7 * MINUTE, started_at: firing.started_at });

/** Moves the simulated clock in steps, letting the deliverer act at each. */
async function advance(ms: number, step = 5_000): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock += step;
    notifier.kick();
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  slack = await startSlackReceiver();
});
after(async () => {
  await notifier?.stop();
  await slack?.stop();
  dir.cleanup();
});

test('Slack down for 10 minutes: the firing and resolved messages arrive once it is back, in order, once each', async () => {
  await slack.down('refuse');
  const outageStart = clock;
  notifier = open();
  await notifier.notify([alertGroup([firing], { group_id: `g-${firing.alert_id}` })]);
  await advance(5 * MINUTE);
  const before = notifier.stats();
  assert.equal(before.outbox.pending, 1, 'the firing message waits in the outbox');
  assert.ok(before.deliverer.retries >= 3, `retried ${before.deliverer.retries} times`);

  // The notifier restarts in the middle of the outage: the journal keeps the attempt count and the next try.
  await notifier.stop();
  notifier = open();
  await notifier.notify([alertGroup([firing], { group_id: `g-${firing.alert_id}` })]); // re-notified after restart: a no-op
  await advance(2 * MINUTE);
  await notifier.notify([alertGroup([resolved], { group_id: `g-${resolved.alert_id}` })]);
  await advance(3 * MINUTE);
  assert.equal(notifier.stats().outbox.pending, 2);
  assert.equal(slack.accepted().length, 0);

  await slack.up();
  const upAt = clock;
  // The longest backoff is 5 minutes: within it both messages go out.
  for (let i = 0; i < 70 && slack.accepted().length < 2; i++) await advance(5_000);
  const deliveredAt = clock;
  const texts = slack.accepted().map((r) => (r.body as { text: string }).text);
  assert.equal(texts.length, 2, texts.join('\n'));
  assert.match(texts[0], /Firing/);
  assert.match(texts[1], /Resolved/);
  await advance(10 * MINUTE, 30_000);
  assert.equal(slack.accepted().length, 2, 'nothing is sent twice');
  assert.equal(notifier.stats().outbox.pending, 0);
  console.log(`FAULT-FIGURES ${JSON.stringify({ fault: 'slack down 10 min (simulated clock), notifier restarted mid-outage', messages: 2, delivered: slack.accepted().length, duplicates: slack.accepted().length - 2, outage_ms: upAt - outageStart, recover_ms: deliveredAt - upAt })}`);
});

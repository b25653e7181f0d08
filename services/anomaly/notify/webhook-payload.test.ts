import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertEvent, alertGroup } from '../../../test/support/anomaly/alert-events.ts';
import { webhookDigestPayload, webhookPayload } from './webhook-payload.ts';

describe('webhookPayload', () => {
  it('carries version, group id, state, what the events share and the full events', () => {
    const events = [alertEvent({ key: { feature: 'a' } }), alertEvent({ key: { feature: 'b' } })];
    const group = alertGroup(events, { group_id: 'g1', common: { metric: 'cost_usd', model: 'gpt-4o', state: 'firing' } });
    const body = webhookPayload(group, { queryApiUrl: 'https://q.example.com' });
    assert.deepEqual({ ...body, links: undefined }, { version: 1, kind: 'alert', group_id: 'g1', state: 'firing', reminder: false, common: group.common, events, links: undefined });
    assert.equal(new URL(body.links!.metric).pathname, '/v1/metrics/cost');
    assert.equal(body.links!.firing_alerts, 'https://q.example.com/v1/alerts?state=firing');
    // survives JSON as-is
    assert.deepEqual(JSON.parse(JSON.stringify(body)), body);
  });

  it('flags reminders and leaves links out without a query API URL', () => {
    const body = webhookPayload(alertGroup([alertEvent({ previous: 'firing' })]));
    assert.equal(body.reminder, true);
    assert.equal('links' in body, false);
  });

  it('has a digest form', () => {
    assert.deepEqual(webhookDigestPayload('digest:1', 'hello'), { version: 1, kind: 'digest', digest_id: 'digest:1', text: 'hello' });
  });
});

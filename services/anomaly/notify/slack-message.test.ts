import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LISTED_EVENTS, SLACK_LIMITS, formatSlackMessage } from './slack-message.ts';
import { sparkline } from './sparkline.ts';
import { T0, alertEvent, alertGroup } from '../../../test/support/anomaly/alert-events.ts';

type Text = { type: string; text: string };
type Block = { type: string; text?: Text; fields?: Text[]; elements?: Text[] };

const header = (blocks: unknown[]) => ((blocks as Block[]).find((b) => b.type === 'header')?.text?.text ?? '');
/** Every text the message shows, block by block, in order. */
const texts = (blocks: unknown[]) => (blocks as Block[]).flatMap((b) => [b.text, ...(b.fields ?? []), ...(b.elements ?? [])].filter((t): t is Text => !!t));
const allText = (blocks: unknown[]) => texts(blocks).map((t) => t.text).join('\n');
/** Only what Slack parses as mrkdwn (a plain_text header cannot mention or link). */
const mrkdwnText = (blocks: unknown[]) => texts(blocks).filter((t) => t.type === 'mrkdwn').map((t) => t.text).join('\n');
const listSection = (blocks: unknown[]) => texts(blocks).find((t) => t.text.startsWith('• '))?.text ?? '';
/** The hrefs of mrkdwn links <url|label>, unescaped as Slack does. */
const links = (blocks: unknown[]) => [...allText(blocks).matchAll(/<([^|>]+)\|[^>]*>/g)].map((m) => m[1].replace(/&amp;/g, '&'));

function assertWithinSlackLimits(msg: { text: string; blocks: unknown[] }): void {
  assert.ok(msg.blocks.length <= SLACK_LIMITS.blocks, `${msg.blocks.length} blocks`);
  assert.ok(msg.text.length <= SLACK_LIMITS.sectionText, `fallback text is ${msg.text.length} chars`);
  for (const b of msg.blocks as Block[]) {
    if (b.type === 'header') assert.ok(b.text!.text.length <= SLACK_LIMITS.headerText, `header is ${b.text!.text.length} chars`);
    if (b.text) assert.ok(b.text.text.length <= SLACK_LIMITS.sectionText);
    if (b.fields) {
      assert.ok(b.fields.length <= SLACK_LIMITS.fields);
      for (const f of b.fields) assert.ok(f.text.length <= SLACK_LIMITS.fieldText);
    }
    if (b.elements) assert.ok(b.elements.length <= SLACK_LIMITS.contextElements);
  }
}

describe('formatSlackMessage: one alert', () => {
  const e = alertEvent();
  const msg = formatSlackMessage(alertGroup([e]), { queryApiUrl: 'https://query.example.com/' });

  it('opens with a header naming the state, the metric and where', () => {
    assert.equal(header(msg.blocks), '🔴 Firing: cost_usd — checkout · gpt-4o');
  });

  it('shows value vs baseline, how far out, feature, model, prompt version, start and duration', () => {
    const body = allText(msg.blocks);
    for (const fact of ['$12.5 vs baseline $3.1', '6.1 MADs above', 'checkout', 'gpt-4o', '*Prompt version*\nv7', '2024-05-01 10:00 UTC', 'for 20 min', 'critical', 'anomaly (mad)']) {
      assert.ok(body.includes(fact), `missing ${JSON.stringify(fact)} in\n${body}`);
    }
  });

  it('draws the last hour as a sparkline', () => {
    assert.ok(allText(msg.blocks).includes(`\`${sparkline(e.recent)}\``));
    assert.equal([...sparkline(e.recent)].length, 60);
  });

  it('links the metric around the alert and the firing alerts in the query API', () => {
    const [metric, firing] = links(msg.blocks);
    const u = new URL(metric);
    assert.equal(`${u.origin}${u.pathname}`, 'https://query.example.com/v1/metrics/cost');
    assert.equal(u.searchParams.get('feature'), 'checkout');
    assert.equal(u.searchParams.get('model'), 'gpt-4o');
    assert.equal(u.searchParams.get('interval'), 'minute');
    assert.equal(u.searchParams.get('from'), new Date(T0 - 3600_000).toISOString());
    assert.equal(u.searchParams.get('to'), new Date(e.at + 15 * 60_000).toISOString());
    assert.equal(firing, 'https://query.example.com/v1/alerts?state=firing');
  });

  it('carries the key facts in the plain-text fallback', () => {
    for (const fact of ['Firing', 'cost_usd', 'checkout', '$12.5', '$3.1', '6.1 MADs above', '2024-05-01 10:00 UTC']) assert.ok(msg.text.includes(fact), `fallback lacks ${fact}: ${msg.text}`);
  });

  it('has no links without a query API URL, and says "all features" for the * series', () => {
    const m = formatSlackMessage(alertGroup([alertEvent({ key: { feature: '*', model: '*' } })]), {});
    assert.deepEqual(links(m.blocks), []);
    assert.equal(header(m.blocks), '🔴 Firing: cost_usd — all features · all models');
  });

  it('marks reminders and resolutions', () => {
    const reminder = formatSlackMessage(alertGroup([alertEvent({ previous: 'firing' })]));
    assert.match(header(reminder.blocks), /^🔁 Still firing: /);
    const resolved = formatSlackMessage(alertGroup([alertEvent({ state: 'resolved', previous: 'firing', at: T0 + 65 * 60_000 })]));
    assert.match(header(resolved.blocks), /^✅ Resolved: cost_usd/);
    assert.ok(allText(resolved.blocks).includes('lasted 1 h 5 min'));
    assert.match(resolved.text, /^✅ Resolved/);
  });

  it('calls the expected value a limit for static rules', () => {
    const m = formatSlackMessage(alertGroup([alertEvent({ key: { rule: 'p95-slo', metric: 'latency_p95_ms' }, value: 5400, expected: 3000 })]));
    assert.ok(allText(m.blocks).includes('5400 ms vs limit 3000 ms'));
  });

  it('escapes names so they cannot ping channels or forge links', () => {
    const m = formatSlackMessage(alertGroup([alertEvent({ key: { feature: '<!channel> & <http://evil|x>' } })]));
    const body = mrkdwnText(m.blocks);
    assert.ok(!body.includes('<!channel>'));
    assert.ok(body.includes('&lt;!channel&gt; &amp; &lt;http://evil|x&gt;'));
    assert.ok(!m.text.includes('<!channel>'));
    assert.ok(m.text.includes('&lt;!channel&gt;'));
  });

  it('stays within limits', () => assertWithinSlackLimits(msg));
});

describe('formatSlackMessage: one group across many features', () => {
  const features = Array.from({ length: 20 }, (_, i) => `feature-${String(i).padStart(2, '0')}`);
  const events = features.map((feature, i) => alertEvent({ key: { metric: 'error_rate', feature, model: 'gpt-4o' }, value: 0.4, expected: 0.01, deviation: '30 MADs above', score: 0.99 - i / 100 }));
  const group = alertGroup(events, { group_id: 'outage', common: { metric: 'error_rate', model: 'gpt-4o', state: 'firing' } });
  const msg = formatSlackMessage(group, { queryApiUrl: 'https://q.example.com' });

  it('is one message whose header counts the features and names the shared model', () => {
    assert.equal(header(msg.blocks), '🔴 Firing: error_rate on 20 features · model gpt-4o');
  });

  it(`lists the first ${MAX_LISTED_EVENTS} features, most anomalous first, and counts the rest`, () => {
    const body = listSection(msg.blocks);
    features.slice(0, MAX_LISTED_EVENTS).forEach((f) => assert.ok(body.includes(`*${f}*`), `${f} missing`));
    features.slice(MAX_LISTED_EVENTS).forEach((f) => assert.ok(!body.includes(f), `${f} should not be listed`));
    assert.ok(body.includes('…and 5 more'));
    assert.ok(body.includes('40 % vs baseline 1 %'));
    assert.ok(body.indexOf('feature-00') < body.indexOf('feature-01'));
  });

  it('links the metric filtered to the affected features and the shared model', () => {
    const u = new URL(links(msg.blocks)[0]);
    assert.equal(u.pathname, '/v1/metrics/errors');
    assert.deepEqual(u.searchParams.get('feature')?.split(','), [...features].sort());
    assert.equal(u.searchParams.get('model'), 'gpt-4o');
  });

  it('names the features in the fallback text, capped', () => {
    assert.ok(msg.text.startsWith('🔴 Firing: error_rate on 20 features · model gpt-4o'));
    assert.ok(msg.text.includes('feature-00, feature-01'));
    assert.ok(msg.text.includes('and 5 more'));
  });

  it('stays within Slack limits even for hundreds of alerts with long names', () => {
    const huge = Array.from({ length: 400 }, (_, i) =>
      alertEvent({ key: { metric: 'error_rate', feature: `f${i}-${'x'.repeat(240)}`, model: `m-${'y'.repeat(200)}` }, deviation: 'z'.repeat(500), summary: 's'.repeat(5000) }),
    );
    const m = formatSlackMessage(alertGroup(huge, { common: { metric: 'error_rate', state: 'firing' } }), { queryApiUrl: 'https://q.example.com' });
    assertWithinSlackLimits(m);
    assert.match(allText(m.blocks), /…and \d+ more/);
    // the links survive whole (too many features to filter on: the feature filter is dropped)
    const [metric, firing] = links(m.blocks);
    assert.equal(new URL(metric).searchParams.get('feature'), null);
    assert.equal(new URL(metric).searchParams.get('interval'), 'minute');
    assert.equal(firing, 'https://q.example.com/v1/alerts?state=firing');
    const single = formatSlackMessage(alertGroup([huge[0]]), { queryApiUrl: 'https://q.example.com' });
    assertWithinSlackLimits(single);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDigest, duration, type DigestInput } from './digest.ts';

const NOW = Date.UTC(2026, 2, 10, 9);
const HOUR = 3_600_000;

const input: DigestInput = {
  now: NOW,
  day: [
    { feature: 'search-rerank', requests: 9000, cost_usd: 3.5, errors: 9, p95: 420 },
    { feature: 'support-chat', requests: 4000, cost_usd: 61.25, errors: 200, p95: 2310.4 },
    { feature: 'code-assist', requests: 1000, cost_usd: 35.25, errors: 0, p95: 5100 },
    { feature: 'idle', requests: 0, cost_usd: 0, errors: 0, p95: null },
  ],
  open: [
    { key: { rule: 'anomaly', metric: 'latency_p95_ms', feature: 'code-assist', model: 'gpt-4o' }, state: 'firing', severity: 'warning', started_at: NOW - 3 * HOUR - 20 * 60_000, deviation: '4.2 MADs above' },
    { key: { rule: 'support-daily', metric: 'budget_daily', feature: 'support-chat', model: '*' }, state: 'firing', severity: 'critical', started_at: NOW - HOUR, deviation: '110 % of $50.00 daily budget' },
  ],
  firedLast24h: { error_rate: 2, budget_daily: 1, latency_p95_ms: 3, eval_score: 0 },
  budgets: [
    { name: 'all-monthly', spent: 1200, budget: 3000, period: 'monthly' },
    { name: 'support-daily', spent: 55, budget: 50, period: 'daily' },
  ],
  queryApiUrl: 'http://query:8080/',
};

describe('daily digest', () => {
  it('words the last 24 h as plain text: totals, top features by cost, error rates, open alerts, fired counts, budgets', () => {
    const { text } = buildDigest(input);
    assert.equal(
      text,
      [
        'LLM daily digest 2026-03-10',
        'Last 24 h: 14,000 requests, $100.00, 1.5 % errors, 2 open alerts.',
        '',
        'Top features by cost:',
        '  1. support-chat: $61.25 (61 %) · 4,000 requests · p95 2,310 ms',
        '  2. code-assist: $35.25 (35 %) · 1,000 requests · p95 5,100 ms',
        '  3. search-rerank: $3.50 (3.5 %) · 9,000 requests · p95 420 ms',
        '',
        'Error rate:',
        '  support-chat: 5.0 % (200 of 4,000)',
        '  search-rerank: 0.1 % (9 of 9,000)',
        '',
        'Open alerts (2):',
        '  [critical] budget_daily on support-chat (support-daily) — 110 % of $50.00 daily budget, firing for 1 h',
        '  [warning] latency_p95_ms on code-assist / gpt-4o (anomaly) — 4.2 MADs above, firing for 3 h 20 min',
        '',
        'Fired in the last 24 h (6):',
        '  latency_p95_ms 3, error_rate 2, budget_daily 1',
        '',
        'Budgets:',
        '  support-daily: $55.00 of $50.00 daily (110 %) OVER BUDGET',
        '  all-monthly: $1,200.00 of $3,000.00 monthly (40 %)',
        '',
        'Generated 2026-03-10 09:00 UTC · http://query:8080/v1/alerts?state=open',
      ].join('\n'),
    );
  });

  it('renders the same content as Slack blocks: a header, one section per part, a context footer', () => {
    const { blocks } = buildDigest(input) as { blocks: { type: string; text?: { type: string; text: string }; elements?: { text: string }[] }[] };
    assert.deepEqual(blocks.map((b) => b.type), ['header', 'section', 'divider', 'section', 'divider', 'section', 'divider', 'section', 'divider', 'section', 'divider', 'section', 'context']);
    assert.deepEqual(blocks[0].text, { type: 'plain_text', text: 'LLM daily digest 2026-03-10', emoji: true });
    const sections = blocks.filter((b) => b.type === 'section').map((b) => b.text?.text ?? '');
    assert.ok(sections.every((t) => t.length <= 3000));
    assert.equal(sections[1], '*Top features by cost*\n1. `support-chat` $61.25 (61 %) · 4,000 requests · p95 2,310 ms\n2. `code-assist` $35.25 (35 %) · 1,000 requests · p95 5,100 ms\n3. `search-rerank` $3.50 (3.5 %) · 9,000 requests · p95 420 ms');
    assert.match(sections[3], /^\*Open alerts \(2\)\*\n:red_circle: \*budget_daily\* on support-chat \(`support-daily`\) — 110 % of \$50\.00 daily budget, firing for 1 h\n:large_orange_circle: /);
    assert.match(sections[5], /:red_circle: `support-daily` \$55\.00 of \$50\.00 daily \(110 %\)\n:white_check_mark: `all-monthly`/);
  });

  it('says so when a day was quiet, and leaves budgets out when there are none', () => {
    const { text, blocks } = buildDigest({ now: NOW, day: [], open: [], firedLast24h: new Map(), budgets: [] });
    assert.match(text, /Last 24 h: 0 requests, \$0\.00, 0 % errors, 0 open alerts\./);
    assert.match(text, /Top features by cost:\nNo traffic in the last 24 h\./);
    assert.match(text, /Open alerts \(0\):\nNothing open\./);
    assert.match(text, /Fired in the last 24 h \(0\):\nNo alert fired\./);
    assert.doesNotMatch(text, /Budgets/);
    assert.ok(!text.includes('/v1/alerts'));
    assert.equal((blocks as { type: string }[]).filter((b) => b.type === 'section').length, 5);
  });

  it('caps long lists with "… and N more" and escapes Slack control characters', () => {
    const day = Array.from({ length: 8 }, (_, i) => ({ feature: `f<${i}>&`, requests: 10, cost_usd: 8 - i, errors: 1, p95: 100 }));
    const { text, blocks } = buildDigest({ now: NOW, day, open: [], firedLast24h: {}, budgets: [], topFeatures: 3 });
    assert.match(text, /  3\. f<2>&: \$6\.00 .*\n  … and 5 more\n/);
    const md = JSON.stringify(blocks);
    assert.ok(md.includes('`f&lt;0&gt;&amp;`'));
    assert.ok(!md.includes('f<0>'));
  });

  it('durations read naturally', () => {
    assert.deepEqual([duration(45 * 60_000), duration(3 * HOUR), duration(3 * HOUR + 5 * 60_000), duration(52 * HOUR), duration(48 * HOUR)], ['45 min', '3 h', '3 h 5 min', '2 d 4 h', '2 d']);
  });
});

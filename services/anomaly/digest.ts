import { formatUsd } from './detectors/metric-values.ts';
import type { AlertEvent } from './types.ts';

/**
 * The daily digest (ALERTS_FILE `digest.cron`): one message summing up the last 24 hours
 * — where the money went, which features erred, what is still open, how the budgets
 * stand — so a quiet day is still visible and slow drifts that never crossed an alert
 * threshold get looked at. Pure: the service gathers the numbers, this only words them,
 * as Slack Block Kit with a plain-text fallback (also the webhook digest body).
 */

export interface DigestFeatureDay {
  feature: string;
  requests: number;
  cost_usd: number;
  errors: number;
  /** p95 latency over the 24 h, ms; null without requests. */
  p95: number | null;
}

export type DigestOpenAlert = Pick<AlertEvent, 'key' | 'state' | 'severity' | 'started_at'> & Partial<Pick<AlertEvent, 'deviation' | 'summary'>>;

export interface DigestBudget {
  name: string;
  /** Spend so far in the budget's current period, USD. */
  spent: number;
  budget: number;
  period?: 'daily' | 'monthly';
}

export interface DigestInput {
  /** Epoch ms the digest is built at; the window is the 24 h before it. */
  now: number;
  /** Per feature, the last 24 h. */
  day: readonly DigestFeatureDay[];
  /** Alerts pending or firing now. */
  open: readonly DigestOpenAlert[];
  /** Alerts that started firing in the last 24 h, by metric. */
  firedLast24h: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
  budgets: readonly DigestBudget[];
  /** Base URL of the query API, linked at the bottom when set. */
  queryApiUrl?: string;
  /** Rows per list (default 5 features, 10 alerts). */
  topFeatures?: number;
  topAlerts?: number;
}

export interface Digest {
  /** Plain text: Slack's notification/fallback text and the webhook digest body. */
  text: string;
  /** Slack Block Kit blocks. */
  blocks: unknown[];
}

/** Slack rejects section texts over 3,000 characters. */
const SECTION_MAX = 3000;

/** Words the last 24 hours for people; see the module comment for what goes in and why. */
export function buildDigest(input: DigestInput): Digest {
  const topFeatures = input.topFeatures ?? 5;
  const topAlerts = input.topAlerts ?? 10;
  const date = new Date(input.now).toISOString().slice(0, 10);
  const totals = input.day.reduce((t, f) => ({ requests: t.requests + f.requests, cost: t.cost + f.cost_usd, errors: t.errors + f.errors }), { requests: 0, cost: 0, errors: 0 });

  // each section as [title, lines]; the text and the blocks are rendered from the same lines
  const sections: { title: string; lines: { md: string; plain: string }[]; empty: string }[] = [];

  const byCost = [...input.day].filter((f) => f.requests > 0 || f.cost_usd > 0).sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests || a.feature.localeCompare(b.feature));
  sections.push({
    title: 'Top features by cost',
    empty: 'No traffic in the last 24 h.',
    lines: withMore(byCost, topFeatures, (f, i) => {
      const share = totals.cost > 0 ? ` (${pct(f.cost_usd / totals.cost)})` : '';
      const rest = `${formatUsd(f.cost_usd)}${share} · ${num(f.requests)} requests · p95 ${f.p95 === null ? 'n/a' : `${num(Math.round(f.p95))} ms`}`;
      return { md: `${i + 1}. \`${esc(f.feature)}\` ${rest}`, plain: `${i + 1}. ${f.feature}: ${rest}` };
    }),
  });

  const byErrors = input.day
    .filter((f) => f.errors > 0 && f.requests > 0)
    .sort((a, b) => b.errors / b.requests - a.errors / a.requests || b.errors - a.errors || a.feature.localeCompare(b.feature));
  sections.push({
    title: 'Error rate',
    empty: 'No errors in the last 24 h.',
    lines: withMore(byErrors, topFeatures, (f) => {
      const rest = `${pct(f.errors / f.requests)} (${num(f.errors)} of ${num(f.requests)})`;
      return { md: `\`${esc(f.feature)}\` ${rest}`, plain: `${f.feature}: ${rest}` };
    }),
  });

  const open = [...input.open].sort((a, b) => sevRank(a) - sevRank(b) || a.started_at - b.started_at);
  sections.push({
    title: `Open alerts (${open.length})`,
    empty: 'Nothing open.',
    lines: withMore(open, topAlerts, (a) => {
      const where = [a.key.feature === '*' ? 'all features' : a.key.feature, a.key.model === '*' ? null : a.key.model].filter(Boolean).join(' / ');
      const since = `${a.state} for ${duration(input.now - a.started_at)}`;
      const dev = a.deviation ? ` — ${a.deviation}` : '';
      const icon = a.severity === 'critical' ? ':red_circle:' : ':large_orange_circle:';
      return {
        md: `${icon} *${esc(a.key.metric)}* on ${esc(where)} (\`${esc(a.key.rule)}\`)${esc(dev)}, ${since}`,
        plain: `[${a.severity}] ${a.key.metric} on ${where} (${a.key.rule})${dev}, ${since}`,
      };
    }),
  });

  const fired = [...(input.firedLast24h instanceof Map ? input.firedLast24h : Object.entries(input.firedLast24h))]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const firedTotal = fired.reduce((s, [, n]) => s + n, 0);
  sections.push({
    title: `Fired in the last 24 h (${firedTotal})`,
    empty: 'No alert fired.',
    lines: fired.length === 0 ? [] : [{ md: fired.map(([m, n]) => `${esc(m)} ${n}`).join(' · '), plain: fired.map(([m, n]) => `${m} ${n}`).join(', ') }],
  });

  if (input.budgets.length > 0) {
    const budgets = [...input.budgets].sort((a, b) => b.spent / b.budget - a.spent / a.budget || a.name.localeCompare(b.name));
    sections.push({
      title: 'Budgets',
      empty: '',
      lines: budgets.map((b) => {
        const share = b.budget > 0 ? b.spent / b.budget : 0;
        const icon = share >= 1 ? ':red_circle:' : share >= 0.8 ? ':large_orange_circle:' : ':white_check_mark:';
        const rest = `${formatUsd(b.spent)} of ${formatUsd(b.budget)}${b.period ? ` ${b.period}` : ''} (${pct(share)})`;
        return { md: `${icon} \`${esc(b.name)}\` ${rest}`, plain: `${b.name}: ${rest}${share >= 1 ? ' OVER BUDGET' : ''}` };
      }),
    });
  }

  const headline = `Last 24 h: ${num(totals.requests)} requests, ${formatUsd(totals.cost)}, ${totals.requests > 0 ? pct(totals.errors / totals.requests) : '0 %'} errors, ${open.length} open alert${open.length === 1 ? '' : 's'}.`;
  const footer = `Generated ${new Date(input.now).toISOString().slice(0, 16).replace('T', ' ')} UTC${input.queryApiUrl ? ` · ${input.queryApiUrl.replace(/\/+$/, '')}/v1/alerts?state=open` : ''}`;

  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `LLM daily digest ${date}`, emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: esc(headline) } },
  ];
  const text: string[] = [`LLM daily digest ${date}`, headline];
  for (const s of sections) {
    blocks.push({ type: 'divider' });
    const body = s.lines.length === 0 ? `_${esc(s.empty)}_` : s.lines.map((l) => l.md).join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*${esc(s.title)}*\n${body}`, SECTION_MAX) } });
    text.push('', `${s.title}:`, ...(s.lines.length === 0 ? [s.empty] : s.lines.map((l) => `  ${l.plain}`)));
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: esc(footer) }] });
  text.push('', footer);
  return { text: text.join('\n'), blocks };
}

function withMore<T>(items: readonly T[], limit: number, line: (item: T, i: number) => { md: string; plain: string }): { md: string; plain: string }[] {
  const out = items.slice(0, limit).map(line);
  if (items.length > limit) {
    const more = `… and ${items.length - limit} more`;
    out.push({ md: `_${more}_`, plain: more });
  }
  return out;
}

const sevRank = (a: DigestOpenAlert): number => (a.severity === 'critical' ? 0 : 1) * 2 + (a.state === 'firing' ? 0 : 1);

/** Slack mrkdwn control characters. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function pct(share: number): string {
  const p = share * 100;
  return `${p > 0 && p < 10 ? p.toFixed(1) : Math.round(p).toLocaleString('en-US')} %`;
}

/** "45 min", "3 h 20 min", "2 d 4 h". */
export function duration(ms: number): string {
  const min = Math.max(0, Math.floor(ms / 60_000));
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 24) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

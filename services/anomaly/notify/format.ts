import type { AlertKey } from '../types.ts';

/**
 * Human renderings of alert values and times shared by the Slack message and its text
 * fallback: people read "$12.40" and "4.2 %" faster than 12.4000001 and 0.042.
 */

/** A value in the unit of its metric; '—' when unknown. */
export function formatValue(metric: AlertKey['metric'], value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (metric) {
    case 'cost_usd':
    case 'budget_daily':
    case 'budget_monthly':
      return `$${trimNumber(value, Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 4)}`;
    case 'error_rate':
    case 'negative_feedback_rate':
      return `${trimNumber(value * 100, 1)} %`;
    case 'latency_p95_ms':
      return value >= 10_000 ? `${trimNumber(value / 1000, 1)} s` : `${Math.round(value)} ms`;
    case 'eval_score':
      return trimNumber(value, 2);
    case 'requests':
    case 'unpriced_events':
    case 'unpriced_model':
      return trimNumber(value, value >= 10 ? 0 : 1);
    case 'tokens_per_request':
      return trimNumber(value, 0);
  }
}

function trimNumber(v: number, digits: number): string {
  return v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** "2024-05-01 10:02 UTC": unambiguous for a team spread over time zones. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "3 h 12 min", "45 min", "under a minute". */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return 'under a minute';
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean);
  return parts.slice(0, 2).join(' ');
}

/** Slack mrkdwn control characters; user-supplied names must not break links or formatting. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

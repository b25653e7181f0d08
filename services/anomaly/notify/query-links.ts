import { ALL, type AlertEvent, type AlertGroup, type AlertKey } from '../types.ts';
import { MINUTE_MS, HOUR_MS, DAY_MS } from '../../core/time.ts';

/**
 * Links from a notification into the query API, so the person paged can see the
 * minutes around the alert with one click. Only built when `query_api_url` is set.
 */

/** Which query API endpoint shows each alert metric. */
export function metricEndpoint(metric: AlertKey['metric']): string {
  switch (metric) {
    case 'cost_usd':
    case 'budget_daily':
    case 'budget_monthly':
      return '/v1/metrics/cost';
    case 'tokens_per_request':
      return '/v1/metrics/tokens';
    case 'latency_p95_ms':
      return '/v1/metrics/latency';
    case 'error_rate':
      return '/v1/metrics/errors';
    case 'eval_score':
    case 'negative_feedback_rate':
      return '/v1/metrics/quality';
    case 'unpriced_model':
      return '/v1/models/unpriced';
    case 'requests':
    case 'unpriced_events':
      return '/v1/metrics/overview';
  }
}

const base = (url: string) => url.replace(/\/+$/, '');

/** Longer links are cut by chat clients and break; past this the feature filter is dropped. */
export const MAX_LINK_LENGTH = 1500;

/**
 * The metric around the group's events: from an hour before the earliest start to a
 * quarter hour after the latest change, per minute (per hour when that spans more than
 * a day, which the minute rollup would refuse), filtered to the features and models hit
 * (unless that makes the link too long to survive in a chat message).
 */
export function metricLink(queryApiUrl: string, group: AlertGroup): string {
  const events = group.events;
  const first = events[0];
  const metric = group.common.metric ?? first.key.metric;
  const endpoint = metricEndpoint(metric);
  const from = Math.min(...events.map((e) => Math.min(e.started_at, e.at))) - HOUR_MS;
  const to = Math.max(...events.map((e) => e.at)) + 15 * MINUTE_MS;
  const params = new URLSearchParams();
  const dims = (pick: (e: AlertEvent) => string) => [...new Set(events.map(pick))].filter((v) => v !== ALL);
  const features = dims((e) => e.key.feature);
  const models = dims((e) => e.key.model);
  // A dimension that is "*" on any event means "all": do not narrow it.
  if (features.length > 0 && !events.some((e) => e.key.feature === ALL)) params.set('feature', features.slice(0, 100).join(','));
  if (models.length > 0 && !events.some((e) => e.key.model === ALL) && endpoint !== '/v1/models/unpriced') params.set('model', models.slice(0, 100).join(','));
  if (endpoint === '/v1/models/unpriced') params.delete('feature');
  params.set('from', new Date(from).toISOString());
  params.set('to', new Date(to).toISOString());
  if (endpoint !== '/v1/models/unpriced') params.set('interval', to - from > DAY_MS ? 'hour' : 'minute');
  const url = () => `${base(queryApiUrl)}${endpoint}?${params.toString()}`;
  if (url().length > MAX_LINK_LENGTH) params.delete('feature');
  if (url().length > MAX_LINK_LENGTH) params.delete('model');
  return url();
}

/** Every alert firing now. */
export function firingAlertsLink(queryApiUrl: string): string {
  return `${base(queryApiUrl)}/v1/alerts?state=firing`;
}

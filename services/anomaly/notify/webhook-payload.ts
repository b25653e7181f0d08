import type { AlertEvent, AlertGroup } from '../types.ts';
import { isReminder } from './notifiable.ts';
import { firingAlertsLink, metricLink } from './query-links.ts';

/**
 * The body a generic webhook receiver gets: versioned, machine-readable, carrying the
 * full alert events so an on-call tool or a custom bot can do its own formatting. Every
 * request also carries `Idempotency-Key: <delivery id>` (set by the deliverer), which
 * stays the same across retries and restarts so the receiver can drop repeats.
 */
export const WEBHOOK_PAYLOAD_VERSION = 1;
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export interface WebhookAlertPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  kind: 'alert';
  group_id: string;
  state: AlertGroup['common']['state'];
  /** True when every event is a reminder of an alert that keeps firing. */
  reminder: boolean;
  common: AlertGroup['common'];
  events: AlertEvent[];
  links?: { metric: string; firing_alerts: string };
}

export interface WebhookDigestPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  kind: 'digest';
  digest_id: string;
  text: string;
}

/** Builds the alert body; `queryApiUrl` adds links into the query API. */
export function webhookPayload(group: AlertGroup, opts: { queryApiUrl?: string } = {}): WebhookAlertPayload {
  const body: WebhookAlertPayload = {
    version: WEBHOOK_PAYLOAD_VERSION,
    kind: 'alert',
    group_id: group.group_id,
    state: group.common.state,
    reminder: group.events.length > 0 && group.events.every(isReminder),
    common: group.common,
    events: group.events,
  };
  if (opts.queryApiUrl && group.events.length > 0) body.links = { metric: metricLink(opts.queryApiUrl, group), firing_alerts: firingAlertsLink(opts.queryApiUrl) };
  return body;
}

/** Builds the daily digest body for webhook receivers. */
export function webhookDigestPayload(digestId: string, text: string): WebhookDigestPayload {
  return { version: WEBHOOK_PAYLOAD_VERSION, kind: 'digest', digest_id: digestId, text };
}

import { createHash } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import type { AlertsFile, ReceiverConfig } from '../config/alerts-file.ts';
import type { AlertEvent, AlertGroup } from '../types.ts';
import { createDeliverer, type DelivererOptions, type DelivererStats, type DeliveryReceiver } from './deliverer.ts';
import { notifiablePart } from './notifiable.ts';
import { openOutbox, type OutboxItemInput, type OutboxOptions, type OutboxStats } from './outbox.ts';
import { createRouter } from './routing.ts';
import { formatSlackMessage } from './slack-message.ts';
import { webhookDigestPayload, webhookPayload } from './webhook-payload.ts';

/**
 * The anomaly service's one entry point for telling people: takes alert groups, keeps
 * the notifiable events, routes them to receivers, formats one message per (group,
 * receiver), writes them to the persistent outbox and lets the deliverer send them.
 * `notify` returns once the messages are on disk, not when they are delivered: a down
 * receiver must never hold up alert detection.
 */
export interface NotifierOptions {
  outboxDir: string;
  file: Pick<AlertsFile, 'receivers' | 'routes' | 'query_api_url'> & { digest?: Pick<AlertsFile['digest'], 'receivers'> };
  /** Where receivers' `url_env` variables are looked up (normally process.env). */
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  log: Logger;
  now?: () => number;
  deliverer?: Partial<Pick<DelivererOptions, 'maxAttempts' | 'baseBackoffMs' | 'maxBackoffMs' | 'maxRetryAfterMs' | 'timeoutMs' | 'resolver' | 'random'>>;
  outbox?: Omit<OutboxOptions, 'now'>;
}

export interface NotifierStats {
  outbox: OutboxStats;
  deliverer: DelivererStats;
}

export interface Notifier {
  start(): void;
  /** Stops sending (waits for requests in flight) and closes the outbox. */
  stop(): Promise<void>;
  /** Persists the messages for these groups (duplicates by delivery id are dropped), then kicks the deliverer. */
  notify(groups: readonly AlertGroup[]): Promise<void>;
  /** Sends a digest to the digest receivers; `id` (default: a hash of the content) makes a re-sent digest a no-op. */
  notifyDigest(text: string, blocks?: unknown[], opts?: { id?: string }): Promise<void>;
  /** Look at the outbox now instead of at the next timer (a simulated clock moved on). */
  kick(): void;
  stats(): NotifierStats;
}

/** The outbox key of one group for one receiver; also the webhook Idempotency-Key. */
export const deliveryId = (groupId: string, receiver: string): string => `${groupId}:${receiver}`;

/**
 * Receiver URLs come from the environment (they are secrets). A receiver whose variable
 * is unset or not an http(s) URL stops the service at start-up with an error naming
 * the receiver and the variable (never the value): better than alerts that silently go
 * nowhere.
 */
export function resolveReceivers(receivers: readonly ReceiverConfig[], env: Readonly<Record<string, string | undefined>>): DeliveryReceiver[] {
  return receivers.map((r) => {
    const url = env[r.url_env]?.trim();
    if (!url) throw new Error(`alert receiver "${r.name}": environment variable ${r.url_env} is not set (it must hold the ${r.type} URL)`);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`alert receiver "${r.name}": environment variable ${r.url_env} does not hold a valid URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`alert receiver "${r.name}": environment variable ${r.url_env} must hold an http or https URL`);
    return { name: r.name, type: r.type, url, allowPrivate: r.allow_private ?? false };
  });
}

export function createNotifier(options: NotifierOptions): Notifier {
  const { file, log } = options;
  const receivers = resolveReceivers(file.receivers, options.env);
  const router = createRouter(file.routes, file.receivers);
  const queryApiUrl = file.query_api_url;
  const outbox = openOutbox(options.outboxDir, {
    ...options.outbox,
    now: options.now,
    onCompactionError: (err) => log.warn({ err: err.message, dir: options.outboxDir }, 'alert outbox: compaction failed (disk full?); the journal keeps every record, compaction is retried'),
  });
  const deliverer = createDeliverer({ ...options.deliverer, outbox, receivers, fetch: options.fetch, now: options.now, log: log.child({ component: 'alert-deliverer' }) });
  const digestReceivers = new Set(options.file.digest?.receivers ?? []);

  function messagesFor(group: AlertGroup): OutboxItemInput[] {
    const part = notifiablePart(group);
    if (!part) return [];
    const byReceiver = new Map<string, AlertEvent[]>();
    for (const e of part.events) {
      for (const name of router.routeEvent(e)) {
        const list = byReceiver.get(name) ?? [];
        list.push(e);
        byReceiver.set(name, list);
      }
    }
    const items: OutboxItemInput[] = [];
    for (const r of receivers) {
      const events = byReceiver.get(r.name);
      if (!events) continue;
      // Each receiver hears about the events routed to it, not the whole group.
      const sub = events.length === part.events.length ? part : { ...part, events };
      const body = r.type === 'slack' ? formatSlackMessage(sub, { queryApiUrl }) : webhookPayload(sub, { queryApiUrl });
      items.push({ id: deliveryId(group.group_id, r.name), receiver: r.name, body });
    }
    return items;
  }

  return {
    start() {
      deliverer.start();
    },
    async stop() {
      await deliverer.stop();
      outbox.close();
    },
    async notify(groups) {
      const items = groups.flatMap(messagesFor);
      const added = outbox.add(items);
      if (items.length > 0) log.debug({ messages: items.length, new: added.length }, 'alert messages queued');
      if (added.length > 0) deliverer.kick();
    },
    async notifyDigest(text, blocks, opts = {}) {
      const id = opts.id ?? `digest:${createHash('sha256').update(text).update(JSON.stringify(blocks ?? null)).digest('hex').slice(0, 24)}`;
      const items: OutboxItemInput[] = receivers
        .filter((r) => digestReceivers.has(r.name))
        .map((r) => ({ id: deliveryId(id, r.name), receiver: r.name, body: r.type === 'slack' ? (blocks ? { text, blocks } : { text }) : webhookDigestPayload(id, text) }));
      if (outbox.add(items).length > 0) deliverer.kick();
    },
    kick: () => deliverer.kick(),
    stats() {
      return { outbox: outbox.stats(), deliverer: deliverer.stats() };
    },
  };
}

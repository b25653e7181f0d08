import type { ScheduledTask } from 'node-cron';
import type { EventBus, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import type { AlertSink } from './alert-sink.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import type { Digest } from './digest.ts';
import { createDetectionEngine } from './engine/engine.ts';
import { createMinuteAggregator } from './minute-aggregator.ts';
import type { Notifier } from './notify/notifier.ts';
import { createStaticRules } from './rules/static-rules.ts';
import { createAlertDelivery } from './service/alert-delivery.ts';
import { addBatch, consumeInputs } from './service/consume.ts';
import { newCounters, type ServiceCounters } from './service/counters.ts';
import { createMinuteTick } from './service/minute-tick.ts';
import { scheduleServiceCrons, sendDigest } from './service/schedules.ts';
import { startFromHistory } from './service/start-up.ts';

export interface AnomalyServiceDeps {
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
  log: Logger;
  sink: AlertSink;
  /** Null: alerts are stored and published, not notified. The service only hands over alert groups and the digest. */
  notifier: Pick<Notifier, 'notify' | 'notifyDigest'> | null;
  file: AlertsFile;
  topics: { enriched: string; scores: string };
  group: string;
  batchSize?: number;
  /** node-cron expression of the tick (closing minutes, budgets); null: only `tick()` calls (tests). */
  tickCron?: string | null;
  warmDays?: number;
  catchupMinutes?: number;
  now?: () => number;
}

export interface AnomalyStats extends ServiceCounters {
  pending_persist: number;
  aggregator: ReturnType<ReturnType<typeof createMinuteAggregator>['stats']>;
  engine: unknown;
}

export interface AnomalyService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Close and judge ready minutes, check budgets; what the cron runs. */
  tick(): Promise<void>;
  /** Build and send the daily digest now (what the digest cron runs). */
  sendDigest(): Promise<Digest>;
  stats(): AnomalyStats;
}

/**
 * The anomaly service: consumes llm.traces.enriched and llm.scores in its own group,
 * keeps per-minute aggregates by event time (ALERTS_FILE grace_seconds for late events),
 * and on each tick judges the minutes that closed with the learned detectors and the
 * static rules. Every alert change is stored (`alerts`) and published (`llm.alerts`);
 * notifiable ones go, grouped, to the notifier's persistent outbox; then the judged
 * minute is recorded in `anomaly_progress`.
 *
 * Start: reopen alerts that are still open (so nothing re-alerts), warm the baselines
 * from the minute rollups (ANOMALY_WARM_DAYS), then judge the minutes since the last
 * judged one from ClickHouse (catch-up after downtime, at most ANOMALY_CATCHUP_MINUTES),
 * and only then consume. Events of minutes already judged are late and dropped.
 *
 * The parts: service/consume.ts (input), service/minute-tick.ts (closing and judging
 * minutes, budgets), service/alert-delivery.ts (storing, notifying, progress),
 * service/start-up.ts (restore, warm-up, catch-up), service/schedules.ts (crons, digest).
 *
 * What a crash costs: a minute judged but not yet recorded as progress is judged again
 * after restart; its alert changes have the same ids, so storage and the outbox drop the
 * repeats. Events of the minute(s) still open at a crash that were consumed and committed
 * are not re-read: those minutes are judged on what arrived after the restart (the
 * minimum volume and k-of-n rule keep one thin minute from firing).
 */
export function createAnomalyService(deps: AnomalyServiceDeps): AnomalyService {
  const log = deps.log.child({ component: 'anomaly' });
  const now = deps.now ?? Date.now;
  const graceMs = deps.file.grace_seconds * 1000;
  const engine = createDetectionEngine({ metrics: deps.file.metrics, repeatIntervalMinutes: deps.file.repeat_interval_minutes, groupMinFeatures: deps.file.group_min_features });
  const rules = createStaticRules(deps.file, { repeatIntervalMinutes: deps.file.repeat_interval_minutes });
  const aggregator = createMinuteAggregator({ graceMs });
  const counters = newCounters();
  const delivery = createAlertDelivery({ store: deps.store, sink: deps.sink, notifier: deps.notifier, group: deps.group, file: deps.file, counters, log, now });
  const ticks = createMinuteTick({ engine, rules, aggregator, delivery, store: deps.store, file: deps.file, counters, log, now });
  let subscription: Subscription | null = null;
  const tasks: ScheduledTask[] = [];

  return {
    async start() {
      const { restoredOpenAlerts, progress } = await startFromHistory({
        store: deps.store,
        group: deps.group,
        engine,
        rules,
        aggregator,
        judge: ticks.judge,
        delivery,
        counters,
        graceMs,
        warmDays: deps.warmDays ?? 8,
        catchupMinutes: deps.catchupMinutes ?? 30,
        now,
      });
      log.info({ restored_open_alerts: restoredOpenAlerts, warmed_minutes: counters.warmed_minutes, caught_up_minutes: counters.caught_up_minutes, last_judged: progress === null ? null : new Date(progress).toISOString() }, 'anomaly baselines warmed');
      subscription = await consumeInputs(deps.bus, { topics: deps.topics, group: deps.group, batchSize: deps.batchSize }, (batch) => addBatch(batch, { registry: deps.registry, topics: deps.topics, aggregator, counters, log }));
      tasks.push(...scheduleServiceCrons({ tickCron: deps.tickCron, group: deps.group, digest: deps.file.digest, notifies: Boolean(deps.notifier), log }, { tick: () => this.tick(), sendDigest: () => this.sendDigest() }));
      log.info({ topics: [deps.topics.enriched, deps.topics.scores], group: deps.group }, 'anomaly service consuming');
    },

    tick: () => ticks.tick(),

    sendDigest: () => sendDigest({ store: deps.store, file: deps.file, notifier: deps.notifier, group: deps.group, now }),

    async stop() {
      await Promise.all(tasks.splice(0).map((t) => t.destroy()));
      await subscription?.close();
      subscription = null;
      await ticks.inFlight();
      log.info({ ...counters, unpersisted_minutes: delivery.pending() }, 'anomaly service stopped');
    },

    stats: () => ({ ...counters, pending_persist: delivery.pending(), aggregator: aggregator.stats(), engine: engine.stats() }),
  };
}

import type { ScheduledTask } from 'node-cron';
import type { Batch, EventBus, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Logger } from '../core/logger.ts';
import { scheduleCron } from '../core/schedule.ts';
import { decodeEnriched } from '../core/schema/enriched-trace.ts';
import { decodeScore } from '../core/schema/score.ts';
import type { Store } from '../core/store/store.ts';
import type { AlertSink, StoredAlert } from './alert-sink.ts';
import type { AlertsFile } from './config/alerts-file.ts';
import { createDetectionEngine } from './engine/engine.ts';
import { groupAlertEvents } from './engine/grouping.ts';
import { buildDigest, type Digest } from './digest.ts';
import { readDigestInput } from './digest-data.ts';
import { readMinutes, readOpenAlerts, readProgress, readSpend, writeProgress } from './history.ts';
import { createMinuteAggregator, type ClosedMinute } from './minute-aggregator.ts';
import type { Notifier } from './notify/notifier.ts';
import { createStaticRules } from './rules/static-rules.ts';
import { listSilences, silenceMatches, type Silence } from './silences.ts';
import { seriesKey, type AlertEvent, type MinuteAggregate, type SeriesId } from './types.ts';
import { DAY_MS, MINUTE_MS } from '../core/time.ts';

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
 * What a crash costs: a minute judged but not yet recorded as progress is judged again
 * after restart; its alert changes have the same ids, so storage and the outbox drop the
 * repeats. Events of the minute(s) still open at a crash that were consumed and committed
 * are not re-read: those minutes are judged on what arrived after the restart (the
 * minimum volume and k-of-n rule keep one thin minute from firing).
 */
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

export interface AnomalyStats {
  consumed_traces: number;
  consumed_scores: number;
  undecodable: number;
  minutes_judged: number;
  alert_changes: number;
  notified_groups: number;
  silenced: number;
  warmed_minutes: number;
  caught_up_minutes: number;
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


export function createAnomalyService(deps: AnomalyServiceDeps): AnomalyService {
  const log = deps.log.child({ component: 'anomaly' });
  const now = deps.now ?? Date.now;
  const graceMs = deps.file.grace_seconds * 1000;
  const engine = createDetectionEngine({ metrics: deps.file.metrics, repeatIntervalMinutes: deps.file.repeat_interval_minutes, groupMinFeatures: deps.file.group_min_features });
  const rules = createStaticRules(deps.file, { repeatIntervalMinutes: deps.file.repeat_interval_minutes });
  const aggregator = createMinuteAggregator({ graceMs });
  const counters = { consumed_traces: 0, consumed_scores: 0, undecodable: 0, minutes_judged: 0, alert_changes: 0, notified_groups: 0, silenced: 0, warmed_minutes: 0, caught_up_minutes: 0 };
  /** Judged minutes whose alerts are not yet stored/notified/recorded (retried each tick). */
  const unpersisted: { minute: number; events: AlertEvent[] }[] = [];
  let subscription: Subscription | null = null;
  const tasks: ScheduledTask[] = [];
  let ticking: Promise<void> | null = null;
  let lastBudgetCheck = 0;
  let silences: Silence[] = [];

  function onBatch(batch: Batch): void {
    for (const m of batch.messages) {
      try {
        if (m.topic === deps.topics.enriched) {
          aggregator.addTrace(decodeEnriched(deps.registry, m.value));
          counters.consumed_traces++;
        } else {
          aggregator.addScore(decodeScore(deps.registry, m.value));
          counters.consumed_scores++;
        }
      } catch (err) {
        counters.undecodable++;
        log.warn({ err, topic: m.topic, partition: m.partition, offset: m.offset }, 'skipping a message that does not decode');
      }
    }
  }

  /** Learned detectors and static rules on one closed minute (in memory; never fails). */
  function judge(closed: ClosedMinute): void {
    const events = [...engine.closeMinute(closed.minute, closed.rows), ...rules.onMinute(closed.minute, closed.rows)];
    counters.minutes_judged++;
    unpersisted.push({ minute: closed.minute, events });
  }

  /** Stores, publishes and notifies judged minutes in order; stops at the first failure (retried next tick). */
  async function persist(): Promise<void> {
    if (unpersisted.length === 0) return;
    silences = await listSilences(deps.store, { activeAt: now() });
    while (unpersisted.length > 0) {
      const { minute, events } = unpersisted[0];
      await deliver(events);
      await writeProgress(deps.store, deps.group, minute);
      unpersisted.shift();
    }
  }

  async function deliver(events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    const stored: StoredAlert[] = events.map((e) => {
      const silence = silences.find((s) => silenceMatches(s, e.key, e.at));
      return { ...e, silenced: silence !== undefined, silence_id: silence?.silence_id ?? null };
    });
    await deps.sink.record(stored);
    counters.alert_changes += stored.length;
    const audible = stored.filter((e) => !e.silenced);
    counters.silenced += stored.length - audible.length;
    for (const e of stored) log.info({ alert: e.key, state: e.state, previous: e.previous, value: e.value, expected: e.expected, silenced: e.silenced, covered_by: e.covered_by ?? undefined }, `alert ${e.state}: ${e.summary}`);
    const groups = groupAlertEvents(audible, deps.file.group_min_features);
    if (groups.length > 0 && deps.notifier) {
      await deps.notifier.notify(groups);
      counters.notified_groups += groups.length;
    }
  }

  async function checkBudgets(at: number): Promise<void> {
    if (deps.file.budgets.length === 0 || at - lastBudgetCheck < MINUTE_MS) return;
    const spend = await readSpend(deps.store, at);
    const events = rules.checkBudgets(at, spend);
    lastBudgetCheck = at;
    await deliver(events);
  }

  async function warm(fromMs: number, toMs: number): Promise<void> {
    for (let day = fromMs; day < toMs; day += DAY_MS) {
      const chunk = await readMinutes(deps.store, day, Math.min(day + DAY_MS, toMs));
      const bySeries = new Map<string, { series: SeriesId; aggs: MinuteAggregate[] }>();
      for (const m of chunk) {
        for (const { series, agg } of m.rows) {
          const k = seriesKey(series);
          let s = bySeries.get(k);
          if (!s) bySeries.set(k, (s = { series, aggs: [] }));
          s.aggs.push(agg);
        }
      }
      for (const { series, aggs } of bySeries.values()) engine.warm(series, aggs);
      counters.warmed_minutes += chunk.length;
    }
  }

  async function runTick(): Promise<void> {
    const at = now();
    for (const closed of aggregator.closeReady(at)) judge(closed);
    await persist();
    await checkBudgets(at);
  }

  return {
    async start() {
      const open = await readOpenAlerts(deps.store);
      engine.restore(open.filter((e) => e.key.rule === 'anomaly'));
      rules.restore(open.filter((e) => e.key.rule !== 'anomaly'));
      const at = now();
      const lastClosable = Math.floor((at - graceMs) / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
      const progress = await readProgress(deps.store, deps.group);
      const catchup = deps.catchupMinutes ?? 30;
      const catchupFrom = Math.max(lastClosable - (catchup - 1) * MINUTE_MS, progress === null ? -Infinity : progress + MINUTE_MS);
      const warmDays = deps.warmDays ?? 8;
      if (warmDays > 0) await warm(catchupFrom - warmDays * DAY_MS, catchupFrom);
      if (catchupFrom <= lastClosable) {
        for (const closed of await readMinutes(deps.store, catchupFrom, lastClosable + MINUTE_MS)) judge(closed);
        counters.caught_up_minutes = Math.round((lastClosable - catchupFrom) / MINUTE_MS) + 1;
      }
      aggregator.markClosedThrough(Math.max(lastClosable, progress ?? -Infinity));
      await persist();
      log.info({ restored_open_alerts: open.length, warmed_minutes: counters.warmed_minutes, caught_up_minutes: counters.caught_up_minutes, last_judged: progress === null ? null : new Date(progress).toISOString() }, 'anomaly baselines warmed');
      subscription = await deps.bus.subscribe({
        topics: [deps.topics.enriched, deps.topics.scores],
        group: deps.group,
        maxBatchSize: deps.batchSize ?? 2_000,
        // Not on the acknowledged path: ingest never waits for anomaly detection.
        awaitedByPublishers: false,
        // A new group starts at the end: history comes from the rollups, not the topic.
        fromBeginning: false,
        onBatch: async (batch) => onBatch(batch),
      });
      if (deps.tickCron !== null) {
        tasks.push(scheduleCron(deps.tickCron ?? '*/5 * * * * *', `anomaly-tick-${deps.group}`, () => this.tick(), log));
        if (deps.notifier && deps.file.digest.receivers.length > 0) tasks.push(scheduleCron(deps.file.digest.cron, `anomaly-digest-${deps.group}`, async () => void (await this.sendDigest()), log));
      }
      log.info({ topics: [deps.topics.enriched, deps.topics.scores], group: deps.group }, 'anomaly service consuming');
    },

    tick() {
      // One tick at a time; a failed one leaves judged minutes queued for the next.
      ticking ??= runTick()
        .catch((err) => log.error({ err, pending_minutes: unpersisted.length }, 'anomaly tick failed; retrying at the next tick'))
        .finally(() => {
          ticking = null;
        });
      return ticking;
    },

    async sendDigest() {
      const digest = buildDigest(await readDigestInput(deps.store, deps.file, now()));
      // One digest per UTC hour: a restart or a second replica does not send it twice.
      await deps.notifier?.notifyDigest(digest.text, digest.blocks, { id: `digest-${deps.group}-${new Date(now()).toISOString().slice(0, 13)}` });
      return digest;
    },

    async stop() {
      await Promise.all(tasks.splice(0).map((t) => t.destroy()));
      await subscription?.close();
      subscription = null;
      await ticking;
      log.info({ ...counters, unpersisted_minutes: unpersisted.length }, 'anomaly service stopped');
    },

    stats: () => ({ ...counters, pending_persist: unpersisted.length, aggregator: aggregator.stats(), engine: engine.stats() }),
  };
}

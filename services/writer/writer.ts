import type { Batch, BusMessage, EventBus, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { toDeadLetter } from '../core/dlq.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { batchToken, createBatchLog, planBatches, type BatchLog, type LoggedBatch, type PlannedBatch } from './batch-log.ts';
import { toDlqRow } from './dlq-row.ts';
import { insertIsolatingBadRows } from './isolate-bad-rows.ts';
import { RecentIds, WARM_RECENT_IDS_SQL } from './recent-ids.ts';
import { scoreSink, traceSink, type RowSink } from './row-sinks.ts';

export interface WriterDeps {
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
  log: Logger;
  /**
   * Topics consumed: enriched traces → `traces`, dead letters → `dlq`, and, when set,
   * scores (llm.scores: evals and user feedback) → `scores`. Without `scores` the writer
   * does not consume scores at all (the behaviour before that topic existed).
   */
  topics: { enriched: string; dlq: string; scores?: string };
  group: string;
  batchSize: number;
  maxDelayMs: number;
  /** How many recently stored trace_ids to remember for de-duplication (0 = off). */
  dedupWindow: number;
  /** At start, remember the trace_ids received in this many past minutes. */
  dedupWarmMinutes: number;
  /**
   * Where batches are logged before their insert. Default: the writer_batches table
   * (survives restarts, like Kafka's committed offsets). With the in-process bus pass
   * createMemoryBatchLog(): that bus's offsets do not survive a restart either.
   */
  batchLog?: BatchLog;
  /**
   * Mixed into every dedup token. The in-process bus restarts its offsets at 0, so its
   * tokens (group:topic:partition:first-last) would repeat across runs and ClickHouse would
   * drop a new run's rows as duplicates of the last run's: pass a per-process value there.
   */
  tokenEpoch?: string;
  /** Test-only fault injection: called after an insert resolved, before the offsets are committed. */
  afterInsert?: () => void;
}

export interface WriterStats {
  batches: number;
  /** Rows inserted into traces. */
  rowsInserted: number;
  /** Rows inserted into scores. */
  scoresInserted: number;
  duplicatesSkipped: number;
  dlqRows: number;
}

export interface Writer {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): WriterStats;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

interface PartitionState {
  nextOffset: number;
  logged: LoggedBatch[];
}

/**
 * The ClickHouse sink. One delivery (one topic-partition, contiguous offsets) becomes one
 * or more inserts; the bus commits the offsets only after they resolved. Traces and
 * scores follow the same rules: batches logged and inserted with deterministic dedup
 * tokens, undecodable messages to the DLQ. A store outage throws, so the bus redelivers
 * after a backoff and nothing is skipped.
 */
export function createWriter(deps: WriterDeps): Writer {
  const log = deps.log.child({ component: 'writer' });
  const batchLog = deps.batchLog ?? createBatchLog(deps.store, deps.group);
  const tokenGroup = deps.tokenEpoch ? `${deps.group}@${deps.tokenEpoch}` : deps.group;
  const partitions = new Map<string, PartitionState>();
  const stats: WriterStats = { batches: 0, rowsInserted: 0, scoresInserted: 0, duplicatesSkipped: 0, dlqRows: 0 };
  const recent = new RecentIds(deps.dedupWindow);
  const traces = traceSink(deps.store, deps.registry, recent);
  const scores = deps.topics.scores ? scoreSink(deps.store, deps.registry) : null;
  const topics = [deps.topics.enriched, deps.topics.dlq, ...(deps.topics.scores ? [deps.topics.scores] : [])];
  let subscription: Subscription | null = null;

  /** Logged batches to honour for this delivery; reloaded whenever we did not see the previous offset ourselves. */
  async function stateFor(topic: string, partition: number, firstOffset: number): Promise<PartitionState> {
    const key = partitionKey(topic, partition);
    let state = partitions.get(key);
    if (!state || state.nextOffset !== firstOffset) {
      state = { nextOffset: firstOffset, logged: await batchLog.pending(topic, partition, firstOffset) };
      partitions.set(key, state);
      if (state.logged.length > 0) log.info({ topic, partition, from: firstOffset, batches: state.logged.length }, 'resuming over logged batches');
    }
    return state;
  }

  /** Cuts a delivery along the logged batches (reusing their tokens) and inserts each piece. */
  async function writeRows(sink: RowSink, batch: Batch): Promise<void> {
    const first = Number(batch.messages[0].offset);
    const last = Number(batch.messages[batch.messages.length - 1].offset);
    const state = await stateFor(batch.topic, batch.partition, first);
    const plan = planBatches({ first, last }, state.logged, (a, b) => batchToken(tokenGroup, batch.topic, batch.partition, a, b));
    try {
      for (const planned of plan) {
        const messages = batch.messages.filter((m) => {
          const o = Number(m.offset);
          return o >= planned.first && o <= planned.last;
        });
        await insertPlanned(sink, batch, planned, messages);
      }
    } catch (err) {
      // A batch may have been logged (and even inserted) before the failure; forget this
      // partition's state so the redelivery, possibly longer, is re-cut along the log.
      partitions.delete(partitionKey(batch.topic, batch.partition));
      throw err;
    }
    state.nextOffset = last + 1;
    state.logged = state.logged.filter((b) => b.last > last);
    batchLog.committed?.(batch.topic, batch.partition, last);
  }

  async function insertPlanned(sink: RowSink, batch: Batch, planned: PlannedBatch, messages: BusMessage[]): Promise<void> {
    let rows: Record<string, unknown>[] = [];
    let rowMessages: BusMessage[] = [];
    const dead = [];
    const seen = new Set<string>();
    // Repeats within the delivery always go; rows seen in earlier batches (the recent-ids
    // memory) are set aside, not yet dropped: see the replay rule below.
    const earlier: Record<string, unknown>[] = [];
    for (const m of messages) {
      try {
        const row = sink.toRow(m);
        const key = sink.key(row);
        if (seen.has(key)) {
          stats.duplicatesSkipped++;
          continue;
        }
        seen.add(key);
        if (sink.recent?.has(key)) earlier.push(row);
        rows.push(row);
        rowMessages.push(m);
      } catch (err) {
        dead.push(toDeadLetter(m, 'writer', err));
      }
    }
    // A logged batch replayed whole after a crash is re-inserted exactly as it was first
    // cut, with its token, so ClickHouse drops what it already has per table and view and
    // fills in what it lacks (a crash between the traces part and a rollup's). The memory
    // of recent ids, warmed from `traces`, holds this very batch's rows and must not thin
    // it: when the rows match the logged count, the batch is the original one. Otherwise
    // (and for new batches) rows seen earlier are repeats and are dropped.
    const replayWhole = planned.replayOf !== undefined && earlier.length > 0 && planned.replayOf.rows === rows.length;
    if (earlier.length > 0 && !replayWhole) {
      const drop = new Set(earlier);
      rowMessages = rowMessages.filter((_, i) => !drop.has(rows[i]));
      rows = rows.filter((r) => !drop.has(r));
      stats.duplicatesSkipped += earlier.length;
    }
    let toInsert = rows;
    let toInsertMessages = rowMessages;
    if (planned.partial && rows.length > 0) {
      const have = await sink.alreadyStored(rows);
      const keep = rows.map((r) => !have.has(sink.key(r)));
      toInsert = rows.filter((_, i) => keep[i]);
      toInsertMessages = rowMessages.filter((_, i) => keep[i]);
      stats.duplicatesSkipped += rows.length - toInsert.length;
    } else if (!planned.partial) {
      await batchLog.record(batch.topic, batch.partition, planned, rows.length);
    }
    const rejected = new Set<number>();
    if (toInsert.length > 0) {
      // Rows ClickHouse refuses as data (not an outage) go to the DLQ; the rest are stored,
      // so one bad row never blocks its partition.
      for (const bad of await insertIsolatingBadRows(deps.store, sink.table, toInsert, planned.token)) {
        rejected.add(bad.index);
        dead.push(toDeadLetter(toInsertMessages[bad.index], 'writer', bad.error));
      }
      deps.afterInsert?.();
    }
    if (dead.length > 0) await deps.bus.publish(deps.topics.dlq, dead);
    toInsert = toInsert.filter((_, i) => !rejected.has(i));
    if (sink.recent) for (const r of toInsert) sink.recent.add(sink.key(r));
    stats.batches++;
    if (sink === scores) stats.scoresInserted += toInsert.length;
    else stats.rowsInserted += toInsert.length;
  }

  async function writeDeadLetters(batch: Batch): Promise<void> {
    const first = batch.messages[0].offset;
    const last = batch.messages[batch.messages.length - 1].offset;
    const rows = batch.messages.map(toDlqRow);
    await deps.store.insert('dlq', rows, { dedupToken: batchToken(tokenGroup, batch.topic, batch.partition, Number(first), Number(last)) });
    stats.dlqRows += rows.length;
  }

  async function onBatch(batch: Batch): Promise<void> {
    if (batch.messages.length === 0) return;
    if (batch.topic === deps.topics.dlq) await writeDeadLetters(batch);
    else if (scores !== null && batch.topic === deps.topics.scores) await writeRows(scores, batch);
    else await writeRows(traces, batch);
  }

  async function warmRecentIds(): Promise<void> {
    if (deps.dedupWindow <= 0 || deps.dedupWarmMinutes <= 0) return;
    const rows = await deps.store.query<{ trace_id: string }>(WARM_RECENT_IDS_SQL, {
      minutes: deps.dedupWarmMinutes,
      maxAgeDays: 31,
      limit: deps.dedupWindow,
    });
    for (let i = rows.length - 1; i >= 0; i--) recent.add(rows[i].trace_id);
    log.info({ ids: recent.size, minutes: deps.dedupWarmMinutes }, 'remembered recently stored trace_ids');
  }

  return {
    async start() {
      await warmRecentIds();
      subscription = await deps.bus.subscribe({
        topics,
        group: deps.group,
        onBatch,
        maxBatchSize: deps.batchSize,
        maxWaitMs: deps.maxDelayMs,
      });
      log.info({ topics, group: deps.group }, 'writer consuming');
    },
    async stop() {
      await subscription?.close();
      subscription = null;
      log.info(stats, 'writer stopped');
    },
    stats: () => ({ ...stats }),
  };
}

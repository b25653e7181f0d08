import type { Batch, BusMessage, EventBus, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { toDeadLetter } from '../core/dlq.ts';
import type { Logger } from '../core/logger.ts';
import { decodeEnriched } from '../core/schema/enriched-trace.ts';
import type { Store } from '../core/store/store.ts';
import { batchToken, createBatchLog, planBatches, type LoggedBatch, type PlannedBatch } from './batch-log.ts';
import { toDlqRow } from './dlq-row.ts';
import { RecentIds, WARM_RECENT_IDS_SQL } from './recent-ids.ts';
import { toTraceRow } from './trace-row.ts';

export interface WriterDeps {
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
  log: Logger;
  topics: { enriched: string; dlq: string };
  group: string;
  batchSize: number;
  maxDelayMs: number;
  /** How many recently stored trace_ids to remember for de-duplication (0 = off). */
  dedupWindow: number;
  /** At start, remember the trace_ids received in this many past minutes. */
  dedupWarmMinutes: number;
  /** Test-only fault injection: called after an insert resolved, before the offsets are committed. */
  afterInsert?: () => void;
}

export interface WriterStats {
  batches: number;
  rowsInserted: number;
  duplicatesSkipped: number;
  dlqRows: number;
}

export interface Writer {
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): WriterStats;
}

interface PartitionState {
  nextOffset: number;
  logged: LoggedBatch[];
}

const EXISTING_IDS_SQL = 'SELECT DISTINCT trace_id FROM traces WHERE trace_id IN {ids:Array(String)}';

/**
 * The ClickHouse sink. One delivery (one topic-partition, contiguous offsets) becomes one
 * or more inserts; the bus commits the offsets only after they resolved. A store outage
 * throws, so the bus redelivers after a backoff and nothing is skipped.
 */
export function createWriter(deps: WriterDeps): Writer {
  const log = deps.log.child({ component: 'writer' });
  const batchLog = createBatchLog(deps.store, deps.group);
  const partitions = new Map<string, PartitionState>();
  const stats: WriterStats = { batches: 0, rowsInserted: 0, duplicatesSkipped: 0, dlqRows: 0 };
  const recent = new RecentIds(deps.dedupWindow);
  let subscription: Subscription | null = null;

  /** Logged batches to honour for this delivery; reloaded whenever we did not see the previous offset ourselves. */
  async function stateFor(topic: string, partition: number, firstOffset: number): Promise<PartitionState> {
    const key = `${topic}\u0000${partition}`;
    let state = partitions.get(key);
    if (!state || state.nextOffset !== firstOffset) {
      state = { nextOffset: firstOffset, logged: await batchLog.pending(topic, partition, firstOffset) };
      partitions.set(key, state);
      if (state.logged.length > 0) log.info({ topic, partition, from: firstOffset, batches: state.logged.length }, 'resuming over logged batches');
    }
    return state;
  }

  async function writeTraces(batch: Batch): Promise<void> {
    const first = Number(batch.messages[0].offset);
    const last = Number(batch.messages[batch.messages.length - 1].offset);
    const state = await stateFor(batch.topic, batch.partition, first);
    const plan = planBatches({ first, last }, state.logged, (a, b) => batchToken(deps.group, batch.topic, batch.partition, a, b));
    for (const planned of plan) {
      const messages = batch.messages.filter((m) => {
        const o = Number(m.offset);
        return o >= planned.first && o <= planned.last;
      });
      await insertPlanned(batch, planned, messages);
    }
    state.nextOffset = last + 1;
    state.logged = state.logged.filter((b) => b.last > last);
  }

  async function insertPlanned(batch: Batch, planned: PlannedBatch, messages: BusMessage[]): Promise<void> {
    const rows: Record<string, unknown>[] = [];
    const dead = [];
    const seen = new Set<string>();
    for (const m of messages) {
      try {
        const row = toTraceRow(decodeEnriched(deps.registry, m.value));
        if (seen.has(row.trace_id as string) || recent.has(row.trace_id as string)) {
          stats.duplicatesSkipped++;
          continue;
        }
        seen.add(row.trace_id as string);
        rows.push(row);
      } catch (err) {
        dead.push(toDeadLetter(m, 'writer', err));
      }
    }
    if (dead.length > 0) await deps.bus.publish(deps.topics.dlq, dead);
    let toInsert = rows;
    if (planned.partial && rows.length > 0) {
      const existing = await deps.store.query<{ trace_id: string }>(EXISTING_IDS_SQL, { ids: [...seen] });
      const have = new Set(existing.map((r) => r.trace_id));
      toInsert = rows.filter((r) => !have.has(r.trace_id as string));
      stats.duplicatesSkipped += rows.length - toInsert.length;
    } else if (!planned.partial) {
      await batchLog.record(batch.topic, batch.partition, planned, rows.length);
    }
    if (toInsert.length > 0) {
      await deps.store.insert('traces', toInsert, { dedupToken: planned.token });
      deps.afterInsert?.();
    }
    for (const r of toInsert) recent.add(r.trace_id as string);
    stats.batches++;
    stats.rowsInserted += toInsert.length;
  }

  async function writeDeadLetters(batch: Batch): Promise<void> {
    const first = batch.messages[0].offset;
    const last = batch.messages[batch.messages.length - 1].offset;
    const rows = batch.messages.map(toDlqRow);
    await deps.store.insert('dlq', rows, { dedupToken: batchToken(deps.group, batch.topic, batch.partition, Number(first), Number(last)) });
    stats.dlqRows += rows.length;
  }

  async function onBatch(batch: Batch): Promise<void> {
    if (batch.messages.length === 0) return;
    if (batch.topic === deps.topics.dlq) await writeDeadLetters(batch);
    else await writeTraces(batch);
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
        topics: [deps.topics.enriched, deps.topics.dlq],
        group: deps.group,
        onBatch,
        maxBatchSize: deps.batchSize,
        maxWaitMs: deps.maxDelayMs,
      });
      log.info({ topics: [deps.topics.enriched, deps.topics.dlq], group: deps.group }, 'writer consuming');
    },
    async stop() {
      await subscription?.close();
      subscription = null;
      log.info(stats, 'writer stopped');
    },
    stats: () => ({ ...stats }),
  };
}

import type { Batch, BusMessage, EventBus, OutgoingMessage, Subscription } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { toDeadLetter } from '../core/dlq.ts';
import type { Logger } from '../core/logger.ts';
import type { Row, Store } from '../core/store/store.ts';
import { batchToken, compareRanges, createBatchLog, groupToken, planBatches, type BatchLog, type LoggedBatch, type OffsetRange, type PlannedBatch } from './batch-log.ts';
import { createInsertGroup, type InsertGroup } from './insert-group.ts';
import { toDlqRow } from './dlq-row.ts';
import { insertIsolatingBadRows } from './isolate-bad-rows.ts';
import { RecentIds, WARM_RECENT_IDS_SQL } from './recent-ids.ts';
import { traceRowKey } from './trace-row.ts';
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
  /** Messages per delivery (the bus's maxBatchSize). */
  batchSize: number;
  /**
   * How long a delivery may wait to fill (the bus's maxWaitMs), and how long the insert
   * group waits for more pieces once every delivery in flight is waiting on it.
   */
  maxDelayMs: number;
  /** When one insert is cut: rows, bytes (of the messages), or age of its first piece. Defaults 20,000 / 32 MiB / 1,000 ms. */
  flush?: { maxRows?: number; maxBytes?: number; maxWaitMs?: number };
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
  /** Inserts into traces and scores (one per flush of the insert group, plus replays). */
  batches: number;
  /** Rows inserted into traces. */
  rowsInserted: number;
  /** Rows inserted into scores. */
  scoresInserted: number;
  duplicatesSkipped: number;
  dlqRows: number;
  /** Times the recent-ids memory was filled from `traces`: at start, and after each rebalance that gave this writer partitions. */
  warmups: number;
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

/** One delivery's rows for one insert, after its own repeats and undecodable messages were set aside. */
interface Piece {
  range: OffsetRange;
  rows: Row[];
  messages: BusMessage[];
  /** Rows this writer stored before (recent-ids memory): repeats, unless the piece replays a logged insert whole. */
  earlier: Set<Row>;
  dead: OutgoingMessage[];
}

/** Pieces of one logged multi-partition insert, gathered so it can be replayed whole with its token. */
interface ReplaySlot {
  planned: PlannedBatch;
  parts: number;
  pieces: Map<string, { piece: Piece; resolve(): void; reject(err: unknown): void }>;
  timer: NodeJS.Timeout | null;
}

export const FLUSH_DEFAULTS = { maxRows: 20_000, maxBytes: 32 * 1024 * 1024, maxWaitMs: 1_000 } as const;

/**
 * The ClickHouse sink. Deliveries of every partition (and topic) add their rows to one
 * insert group per table, flushed as one insert (insert-group.ts); each delivery's
 * offsets are committed by the bus only after the insert carrying its rows resolved.
 * Before an insert, its ranges and token are logged, so a replay after a crash is cut
 * along the same boundaries and deduplicated by ClickHouse. Traces and scores follow the
 * same rules; undecodable messages go to the DLQ. A store outage throws, so the bus
 * redelivers after a backoff and nothing is skipped.
 */
export function createWriter(deps: WriterDeps): Writer {
  const log = deps.log.child({ component: 'writer' });
  const batchLog = deps.batchLog ?? createBatchLog(deps.store, deps.group);
  const tokenGroup = deps.tokenEpoch ? `${deps.group}@${deps.tokenEpoch}` : deps.group;
  const partitions = new Map<string, PartitionState>();
  const stats: WriterStats = { batches: 0, rowsInserted: 0, scoresInserted: 0, duplicatesSkipped: 0, dlqRows: 0, warmups: 0 };
  const recent = new RecentIds(deps.dedupWindow);
  const traces = traceSink(deps.store, deps.registry, recent);
  const scores = deps.topics.scores ? scoreSink(deps.store, deps.registry) : null;
  const topics = [deps.topics.enriched, deps.topics.dlq, ...(deps.topics.scores ? [deps.topics.scores] : [])];
  const limits = {
    maxRows: deps.flush?.maxRows ?? FLUSH_DEFAULTS.maxRows,
    maxBytes: deps.flush?.maxBytes ?? FLUSH_DEFAULTS.maxBytes,
    maxWaitMs: deps.flush?.maxWaitMs ?? FLUSH_DEFAULTS.maxWaitMs,
    quietMs: deps.maxDelayMs,
  };
  const groups = new Map<RowSink, InsertGroup<Piece>>();
  const groupOf = (sink: RowSink): InsertGroup<Piece> => {
    let g = groups.get(sink);
    if (!g) groups.set(sink, (g = createInsertGroup<Piece>(limits, (pieces) => insertNew(sink, pieces))));
    return g;
  };
  const slots = new Map<string, ReplaySlot>();
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

  /** Cuts a delivery along the logged batches (reusing their tokens) and stores each piece. */
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
        const piece = toPiece(sink, { topic: batch.topic, partition: batch.partition, first: planned.first, last: planned.last }, messages);
        if (planned.partial) await insertPartial(sink, piece, planned.token);
        else if (!planned.replayOf) await groupOf(sink).add(piece, piece.rows.length - piece.earlier.size, messageBytes(messages));
        else if ((planned.replayOf.parts ?? 1) <= 1) await insertReplay(sink, [piece], planned);
        else await gatherReplay(sink, planned, piece);
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

  /** Messages → rows; repeats within the delivery go, undecodable messages become dead letters. */
  function toPiece(sink: RowSink, range: OffsetRange, messages: BusMessage[]): Piece {
    const piece: Piece = { range, rows: [], messages: [], earlier: new Set(), dead: [] };
    const seen = new Set<string>();
    for (const m of messages) {
      try {
        const row = sink.toRow(m);
        const key = sink.key(row);
        if (seen.has(key)) {
          stats.duplicatesSkipped++;
          continue;
        }
        seen.add(key);
        if (sink.recent?.has(key)) piece.earlier.add(row);
        piece.rows.push(row);
        piece.messages.push(m);
      } catch (err) {
        piece.dead.push(toDeadLetter(m, 'writer', err));
      }
    }
    return piece;
  }

  /** A flush of the insert group: new ranges only; rows this writer stored before are repeats. */
  async function insertNew(sink: RowSink, pieces: Piece[]): Promise<void> {
    pieces.sort((a, b) => compareRanges(a.range, b.range));
    const ranges = pieces.map((p) => p.range);
    const token = groupToken(tokenGroup, ranges);
    const { rows, messages } = collect(sink, pieces, false);
    await batchLog.record(ranges, token, rows.length);
    await insertRows(sink, rows, messages, pieces.flatMap((p) => p.dead), token);
  }

  /**
   * A logged insert replayed after a crash: re-inserted exactly as it was first cut, with
   * its token, so ClickHouse drops what it already has per table and view and fills in
   * what it lacks (a crash between the traces part and a rollup's). The memory of recent
   * ids, warmed from `traces`, holds this very insert's rows and must not thin it: when
   * the rows match the logged count, the insert is the original one. Otherwise rows seen
   * earlier are repeats and are dropped.
   */
  async function insertReplay(sink: RowSink, pieces: Piece[], planned: PlannedBatch): Promise<void> {
    pieces.sort((a, b) => compareRanges(a.range, b.range));
    const all = collect(sink, pieces, true);
    const earlier = pieces.reduce((n, p) => n + p.earlier.size, 0);
    const whole = earlier > 0 && planned.replayOf?.rows === all.rows.length;
    const { rows, messages } = whole ? all : collect(sink, pieces, false);
    if ((planned.replayOf?.parts ?? 1) <= 1) await batchLog.record(pieces.map((p) => p.range), planned.token, rows.length);
    await insertRows(sink, rows, messages, pieces.flatMap((p) => p.dead), planned.token);
  }

  /**
   * The head of a logged batch, or one part of a logged multi-partition insert whose other
   * parts are not here: its token cannot be reused (the rest would later be dropped as
   * duplicates if the original insert never happened), so only the rows not yet stored go in.
   */
  async function insertPartial(sink: RowSink, piece: Piece, token: string): Promise<void> {
    const { rows, messages } = collect(sink, [piece], false);
    let toInsert = rows;
    let toInsertMessages = messages;
    if (rows.length > 0) {
      const have = await sink.alreadyStored(rows);
      const keep = rows.map((r) => !have.has(sink.key(r)));
      toInsert = rows.filter((_, i) => keep[i]);
      toInsertMessages = messages.filter((_, i) => keep[i]);
      stats.duplicatesSkipped += rows.length - toInsert.length;
    }
    await insertRows(sink, toInsert, toInsertMessages, piece.dead, token);
  }

  /**
   * One part of a logged multi-partition insert: wait for its other parts (they are
   * usually redelivered by the same fetch) and replay the insert whole; when they do not
   * come (their partitions moved to another writer, or were committed), store this part
   * on its own, checking which of its rows are stored already.
   */
  function gatherReplay(sink: RowSink, planned: PlannedBatch, piece: Piece): Promise<void> {
    const parts = planned.replayOf?.parts ?? 1;
    let slot = slots.get(planned.token);
    if (!slot) slots.set(planned.token, (slot = { planned, parts, pieces: new Map(), timer: null }));
    const s = slot;
    return new Promise<void>((resolve, reject) => {
      s.pieces.set(partitionKey(piece.range.topic, piece.range.partition), { piece, resolve, reject });
      const settle = (run: Promise<void>, entries: { resolve(): void; reject(err: unknown): void }[]) =>
        run.then(
          () => entries.forEach((e) => e.resolve()),
          (err: unknown) => entries.forEach((e) => e.reject(err)),
        );
      if (s.pieces.size >= s.parts) {
        if (s.timer) clearTimeout(s.timer);
        slots.delete(planned.token);
        const entries = [...s.pieces.values()];
        void settle(insertReplay(sink, entries.map((e) => e.piece), planned), entries);
        return;
      }
      if (s.timer) return;
      s.timer = setTimeout(() => {
        slots.delete(planned.token);
        for (const e of s.pieces.values()) {
          const r = e.piece.range;
          void settle(insertPartial(sink, e.piece, `${planned.token}.part-${r.partition}-${r.first}-${r.last}`), [e]);
        }
      }, Math.max(limits.maxWaitMs, 2 * limits.quietMs));
    });
  }

  /** The rows of `pieces` in order, without repeats across them; rows stored before are kept only for a whole replay. */
  function collect(sink: RowSink, pieces: Piece[], keepEarlier: boolean): { rows: Row[]; messages: BusMessage[] } {
    const rows: Row[] = [];
    const messages: BusMessage[] = [];
    const seen = pieces.length > 1 ? new Set<string>() : null;
    for (const p of pieces) {
      for (let i = 0; i < p.rows.length; i++) {
        const row = p.rows[i];
        if (!keepEarlier && p.earlier.has(row)) {
          stats.duplicatesSkipped++;
          continue;
        }
        if (seen) {
          const key = sink.key(row);
          if (seen.has(key)) {
            stats.duplicatesSkipped++;
            continue;
          }
          seen.add(key);
        }
        rows.push(row);
        messages.push(p.messages[i]);
      }
    }
    return { rows, messages };
  }

  async function insertRows(sink: RowSink, rows: Row[], messages: BusMessage[], deadIn: OutgoingMessage[], token: string): Promise<void> {
    const dead = [...deadIn];
    const rejected = new Set<number>();
    if (rows.length > 0) {
      // Rows ClickHouse refuses as data (not an outage) go to the DLQ; the rest are stored,
      // so one bad row never blocks its partition.
      for (const bad of await insertIsolatingBadRows(deps.store, sink.table, rows, token)) {
        rejected.add(bad.index);
        dead.push(toDeadLetter(messages[bad.index], 'writer', bad.error));
      }
      deps.afterInsert?.();
    }
    if (dead.length > 0) await deps.bus.publish(deps.topics.dlq, dead);
    const stored = rejected.size > 0 ? rows.filter((_, i) => !rejected.has(i)) : rows;
    if (sink.recent) for (const r of stored) sink.recent.add(sink.key(r));
    stats.batches++;
    if (sink === scores) stats.scoresInserted += stored.length;
    else stats.rowsInserted += stored.length;
  }

  async function writeDeadLetters(batch: Batch): Promise<void> {
    const first = batch.messages[0].offset;
    const last = batch.messages[batch.messages.length - 1].offset;
    const rows = batch.messages.map((m) => toDlqRow(m, deps.registry.bytes));
    await deps.store.insert('dlq', rows, { dedupToken: batchToken(tokenGroup, batch.topic, batch.partition, Number(first), Number(last)) });
    stats.dlqRows += rows.length;
  }

  /**
   * After a rebalance gave this writer partitions another member held, its recent-ids
   * memory lacks what that member stored: a client's resend of an event the other member
   * took (the first attempt was answered 503 but landed) would be counted twice in the
   * rollups. So the memory is warmed again from `traces`, like at start, before the first
   * batch of the new assignment (kafkajs reports the assignment before fetching for it).
   * "Gained" counts against what this member held as the same member: the first join
   * gains everything (another member may have stored on those partitions since the
   * warm-up in start()), and so does a join under a new member id (this member was
   * evicted, and someone else may have held its partitions meanwhile).
   */
  let held = new Set<number>();
  let heldAs: string | undefined;
  let rewarmPending = false;
  let rewarming: Promise<void> | null = null;
  function onAssigned(assignment: { topic: string; partitions: number[] }[], memberId?: string): void {
    const now = new Set(assignment.find((a) => a.topic === deps.topics.enriched)?.partitions ?? []);
    const before = memberId !== undefined && memberId === heldAs ? held : new Set<number>();
    const gained = [...now].filter((p) => !before.has(p));
    held = now;
    heldAs = memberId;
    if (gained.length > 0 && deps.dedupWindow > 0 && deps.dedupWarmMinutes > 0) {
      rewarmPending = true;
      log.info({ gained, partitions: [...now], memberId }, 'gained partitions in a rebalance; remembering what the group stored recently before writing');
    }
  }
  async function afterRebalance(): Promise<void> {
    if (rewarmPending) {
      rewarmPending = false;
      const warming: Promise<void> = warmRecentIds()
        .catch((err: unknown) => {
          rewarmPending = true; // the batch is redelivered and tries again
          throw err;
        })
        .finally(() => {
          if (rewarming === warming) rewarming = null;
        });
      rewarming = warming;
    }
    if (rewarming) await rewarming;
  }

  async function onBatch(batch: Batch): Promise<void> {
    if (batch.messages.length === 0) return;
    if (batch.topic === deps.topics.dlq) return writeDeadLetters(batch);
    const sink = scores !== null && batch.topic === deps.topics.scores ? scores : traces;
    if (sink === traces) await afterRebalance();
    const group = groupOf(sink);
    group.enter();
    try {
      await writeRows(sink, batch);
    } finally {
      group.leave();
    }
  }

  async function warmRecentIds(): Promise<void> {
    if (deps.dedupWindow <= 0 || deps.dedupWarmMinutes <= 0) return;
    const rows = await deps.store.query<{ trace_id: string; span_id: string }>(WARM_RECENT_IDS_SQL, {
      minutes: deps.dedupWarmMinutes,
      maxAgeDays: 31,
      limit: deps.dedupWindow,
    });
    for (let i = rows.length - 1; i >= 0; i--) recent.add(traceRowKey(rows[i].trace_id, rows[i].span_id));
    stats.warmups++;
    log.info({ ids: recent.size, minutes: deps.dedupWarmMinutes }, 'remembered recently stored trace_ids');
  }

  return {
    async start() {
      await warmRecentIds();
      subscription = await deps.bus.subscribe({
        topics,
        group: deps.group,
        onBatch,
        onAssigned,
        maxBatchSize: deps.batchSize,
        maxWaitMs: deps.maxDelayMs,
      });
      log.info({ topics, group: deps.group, flush: limits }, 'writer consuming');
    },
    async stop() {
      // The bus lets in-flight deliveries finish: they are waiting on the insert groups,
      // which flush once every delivery in flight waits (or at their deadline).
      await subscription?.close();
      subscription = null;
      log.info(stats, 'writer stopped');
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * What a delivery weighs for the group's byte limit: its messages as they came. (In process,
 * values encoded on demand weigh nothing; the row limit cuts those inserts.)
 */
function messageBytes(messages: readonly BusMessage[]): number {
  let n = 0;
  for (const m of messages) n += m.value.length;
  return n;
}

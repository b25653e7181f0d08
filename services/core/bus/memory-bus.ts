import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type {
  BatchHandler,
  BusMessage,
  EventBus,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
} from './event-bus.ts';
import { partitionForKey } from './partitioner.ts';

/**
 * In-process EventBus for the embedded default: one process runs every service, so a
 * bus is a set of in-memory partition logs plus committed offsets per consumer group.
 *
 * With `waitForConsumers` (the embedded default), `publish` resolves only once every
 * group subscribed to the topic has processed and committed the published messages.
 * Because each stage commits only after its own downstream publish or write resolved,
 * a resolved publish at the ingest edge means the events reached ClickHouse.
 */
export interface MemoryBusOptions {
  partitions?: number;
  waitForConsumers?: boolean;
  /**
   * Refuse a publish to a topic no consumer group is consuming (the embedded default):
   * there "published" must mean "will be processed", not "parked in memory".
   */
  requireConsumers?: boolean;
  defaultMaxBatchSize?: number;
  log?: Logger;
  /** Backoff after a failed onBatch: starts here, doubles, capped at maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

interface Waiter {
  partition: number;
  offset: number; // resolve once committed > offset
  resolve: () => void;
  reject: (err: Error) => void;
}

interface PartitionLog {
  base: number; // offset of messages[0]
  messages: BusMessage[];
}

interface GroupState {
  topic: string;
  committed: number[]; // next offset to deliver, per partition
  members: Member[];
  waiters: Set<Waiter>;
  /** Whether publishers with waitForConsumers wait for this group (SubscribeOptions.awaitedByPublishers). */
  awaited: boolean;
  /** SubscribeOptions.maxBacklog / onShed. */
  maxBacklog: number;
  onShed?: (count: number) => void;
}

interface Member {
  handler: BatchHandler;
  maxBatchSize: number;
  maxWaitMs: number;
  closed: boolean;
  running: Promise<void>[];
  /** Cuts a retry backoff short when the member or the bus closes. */
  wakeBackoff: Set<() => void>;
}

export function createMemoryBus(options: MemoryBusOptions = {}): EventBus {
  const partitions = options.partitions ?? 1;
  const waitForConsumers = options.waitForConsumers ?? false;
  const requireConsumers = options.requireConsumers ?? false;
  const log = options.log ?? silentLogger();
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  const logs = new Map<string, PartitionLog[]>();
  const groups = new Map<string, GroupState>(); // key: `${group}\u0000${topic}`
  const wakeups = new Map<string, Set<() => void>>(); // topic -> sleepers
  const members = new Set<Member>();
  let closed = false;

  function topicLog(topic: string): PartitionLog[] {
    let parts = logs.get(topic);
    if (!parts) {
      parts = Array.from({ length: partitions }, () => ({ base: 0, messages: [] }));
      logs.set(topic, parts);
    }
    return parts;
  }

  function groupsOf(topic: string): GroupState[] {
    return [...groups.values()].filter((g) => g.topic === topic);
  }

  function wake(topic: string): void {
    const sleepers = wakeups.get(topic);
    if (!sleepers) return;
    wakeups.delete(topic);
    for (const s of sleepers) s();
  }

  function sleepUntilPublish(topic: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let sleepers = wakeups.get(topic);
      if (!sleepers) wakeups.set(topic, (sleepers = new Set()));
      const done = () => {
        clearTimeout(timer);
        sleepers!.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });
  }

  /** Drop messages every group has committed, so a long embedded run stays bounded. */
  function trim(topic: string, partition: number): void {
    const gs = groupsOf(topic);
    if (gs.length === 0) return;
    const low = Math.min(...gs.map((g) => g.committed[partition]));
    const plog = topicLog(topic)[partition];
    const drop = low - plog.base;
    if (drop > 0) {
      plog.messages.splice(0, drop);
      plog.base = low;
    }
  }

  function settleWaiters(g: GroupState): void {
    for (const w of g.waiters) {
      if (g.committed[w.partition] > w.offset) {
        g.waiters.delete(w);
        w.resolve();
      }
    }
  }

  async function runPartition(g: GroupState, member: Member, partition: number): Promise<void> {
    let delay = retryDelayMs;
    while (!member.closed && !closed) {
      const plog = topicLog(g.topic)[partition];
      const next = g.committed[partition];
      const end = plog.base + plog.messages.length;
      if (next >= end || g.members[0] !== member) {
        await sleepUntilPublish(g.topic, 200);
        continue;
      }
      const available = end - next;
      if (available < member.maxBatchSize && member.maxWaitMs > 0) {
        const waitLeft = plog.messages[next - plog.base].timestamp + member.maxWaitMs - Date.now();
        if (waitLeft > 0) {
          await sleepUntilPublish(g.topic, waitLeft);
          continue;
        }
      }
      const slice = plog.messages.slice(next - plog.base, next - plog.base + member.maxBatchSize);
      try {
        await member.handler({ topic: g.topic, partition, messages: slice });
        // A shed (see shedBacklog) may have moved past this batch meanwhile: never back.
        g.committed[partition] = Math.max(g.committed[partition], next + slice.length);
        delay = retryDelayMs;
        settleWaiters(g);
        trim(g.topic, partition);
      } catch (err) {
        log.warn({ err, topic: g.topic, partition, offset: next }, 'batch handler failed; redelivering after backoff');
        await new Promise<void>((r) => {
          const done = () => {
            clearTimeout(timer);
            member.wakeBackoff.delete(done);
            r();
          };
          const timer = setTimeout(done, delay);
          member.wakeBackoff.add(done);
        });
        delay = Math.min(delay * 2, maxRetryDelayMs);
      }
    }
  }

  /** Skips the oldest unread messages of a group past its maxBacklog (counted to onShed). */
  function shedBacklog(topic: string, touched: Iterable<number>): void {
    for (const g of groupsOf(topic)) {
      if (!Number.isFinite(g.maxBacklog)) continue;
      let shed = 0;
      for (const partition of touched) {
        const plog = topicLog(topic)[partition];
        const over = plog.base + plog.messages.length - g.committed[partition] - g.maxBacklog;
        if (over <= 0) continue;
        g.committed[partition] += over;
        shed += over;
        trim(topic, partition);
      }
      if (shed > 0) g.onShed?.(shed);
    }
  }

  return {
    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      if (closed) throw new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus is closed');
      if (messages.length === 0) return;
      // "Published" must mean "will be processed": with nobody consuming the topic, the
      // messages would only pile up in memory while the publisher believed them handled.
      if (requireConsumers && !groupsOf(topic).some((g) => g.members.length > 0)) {
        throw new PipelineError(ErrorCodes.BUS_UNAVAILABLE, `no consumer group is consuming ${topic}`, { retryable: true });
      }
      const parts = topicLog(topic);
      const lastOffsetPerPartition = new Map<number, number>();
      const now = Date.now();
      for (const m of messages) {
        const partition = partitionForKey(m.key ?? null, partitions);
        const plog = parts[partition];
        const offset = plog.base + plog.messages.length;
        plog.messages.push({
          topic,
          partition,
          offset: String(offset),
          key: m.key ?? null,
          value: m.value,
          headers: { ...(m.headers ?? {}) },
          timestamp: now,
        });
        lastOffsetPerPartition.set(partition, offset);
      }
      shedBacklog(topic, lastOffsetPerPartition.keys());
      wake(topic);
      if (!waitForConsumers) return;
      const pending: Promise<void>[] = [];
      for (const g of groupsOf(topic)) {
        if (!g.awaited) continue;
        for (const [partition, offset] of lastOffsetPerPartition) {
          if (g.committed[partition] > offset) continue;
          pending.push(new Promise<void>((resolve, reject) => g.waiters.add({ partition, offset, resolve, reject })));
        }
      }
      await Promise.all(pending);
    },

    async subscribe(opts: SubscribeOptions): Promise<Subscription> {
      if (closed) throw new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus is closed');
      const member: Member = {
        handler: opts.onBatch,
        maxBatchSize: opts.maxBatchSize ?? options.defaultMaxBatchSize ?? 1_000,
        maxWaitMs: opts.maxWaitMs ?? 0,
        closed: false,
        running: [],
        wakeBackoff: new Set(),
      };
      members.add(member);
      const states: GroupState[] = [];
      for (const topic of opts.topics) {
        const key = `${opts.group}\u0000${topic}`;
        let g = groups.get(key);
        if (!g) {
          const parts = topicLog(topic);
          const start = opts.fromBeginning === false ? parts.map((p) => p.base + p.messages.length) : parts.map((p) => p.base);
          const awaited = opts.awaitedByPublishers ?? true;
          if (awaited && opts.maxBacklog !== undefined) {
            throw new PipelineError(ErrorCodes.CONFIG_INVALID, `group ${opts.group}: maxBacklog is only for groups publishers do not wait for (awaitedByPublishers: false)`);
          }
          g = { topic, committed: start, members: [], waiters: new Set(), awaited, maxBacklog: opts.maxBacklog ?? Infinity, onShed: opts.onShed };
          groups.set(key, g);
        }
        // One active member per group, like a Kafka group with one partition set:
        // later members stand by and take over when the active one leaves.
        g.members.push(member);
        states.push(g);
        for (let p = 0; p < partitions; p++) member.running.push(runPartition(g, member, p));
      }
      return {
        async close() {
          member.closed = true;
          for (const g of states) wake(g.topic);
          for (const w of [...member.wakeBackoff]) w();
          await Promise.all(member.running);
          members.delete(member);
          for (const g of states) {
            g.members = g.members.filter((m) => m !== member);
            if (g.members.length === 0) {
              for (const w of g.waiters) w.reject(new PipelineError(ErrorCodes.SHUTTING_DOWN, `consumer group for ${g.topic} stopped before processing the messages`, { retryable: true }));
              g.waiters.clear();
            }
          }
        },
      };
    },

    async close(): Promise<void> {
      closed = true;
      for (const topic of logs.keys()) wake(topic);
      for (const g of groups.values()) {
        for (const w of g.waiters) w.reject(new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus closed', { retryable: true }));
        g.waiters.clear();
      }
      // Like Subscription.close: an in-flight onBatch finishes (and commits) before close resolves.
      for (const m of members) for (const w of [...m.wakeBackoff]) w();
      await Promise.all([...members].flatMap((m) => m.running));
    },
  };
}

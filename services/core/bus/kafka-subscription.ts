import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { BusMessage, Headers, SubscribeOptions, Subscription } from './event-bus.ts';

/**
 * One `subscribe` = one kafkajs consumer (one group member). Delivery rules:
 * - a fetched batch is split into chunks of at most `maxBatchSize`;
 * - a chunk's offset (last + 1) is committed only after `onBatch` resolved for it;
 * - a throwing `onBatch` is called again with the same chunk after an exponential,
 *   capped backoff, forever, heartbeating meanwhile, until it succeeds or the member
 *   stops (close, rebalance): then nothing is committed and the chunk is redelivered.
 */
export interface ConsumerTuning {
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
  maxWaitTimeInMs: number;
  maxBytes?: number;
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently: number;
  allowAutoTopicCreation: boolean;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  defaultMaxBatchSize: number;
}

const REJOIN_ERRORS = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
/** The member lost (or is about to lose) its assignment: let kafkajs rejoin, redeliver. */
const mustRejoin = (err: unknown) => REJOIN_ERRORS.has((err as { type?: string } | null)?.type ?? '');
const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Resolves after `ms` or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function toBusMessage(topic: string, partition: number, m: KafkaMessage): BusMessage {
  const headers: Headers = {};
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v[v.length - 1] : v; // repeated header: last wins
    if (last !== undefined) headers[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key === null || m.key === undefined ? null : m.key.toString('utf8'),
    value: m.value ?? Buffer.alloc(0),
    headers,
    timestamp: Number(m.timestamp),
  };
}

export async function startSubscription(kafka: Kafka, opts: SubscribeOptions, tuning: ConsumerTuning, log: Logger): Promise<Subscription> {
  const maxBatchSize = Math.max(1, opts.maxBatchSize ?? tuning.defaultMaxBatchSize);
  const closing = new AbortController();
  const slog = log.child({ group: opts.group, topics: opts.topics });
  const consumer: Consumer = kafka.consumer({
    groupId: opts.group,
    sessionTimeout: tuning.sessionTimeout,
    rebalanceTimeout: tuning.rebalanceTimeout,
    heartbeatInterval: tuning.heartbeatInterval,
    // maxWaitMs ("wait to fill a batch"): let the broker hold the fetch until about a
    // full batch of bytes is there (assuming >= 64 B per message) or maxWaitMs passed.
    maxWaitTimeInMs: opts.maxWaitMs ? Math.max(opts.maxWaitMs, 1) : tuning.maxWaitTimeInMs,
    minBytes: opts.maxWaitMs ? Math.min(maxBatchSize * 64, 1 << 20) : 1,
    maxBytes: tuning.maxBytes,
    maxBytesPerPartition: tuning.maxBytesPerPartition,
    allowAutoTopicCreation: tuning.allowAutoTopicCreation,
    // kafkajs restarts a crashed consumer when the cause is retriable; the CRASH
    // listener below restarts it for every other cause too (an outage never ends consumption).
    retry: { restartOnFailure: async () => true },
  });

  async function eachBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const stopping = () => closing.signal.aborted || !p.isRunning() || p.isStale();
    const all = batch.messages.map((m) => toBusMessage(batch.topic, batch.partition, m));
    for (let i = 0; i < all.length; i += maxBatchSize) {
      const messages = all.slice(i, i + maxBatchSize);
      if (!(await deliver(p, messages, stopping))) return; // stopping: leave it uncommitted
      const last = messages[messages.length - 1].offset;
      if (!(await commit(p, batch.topic, batch.partition, (BigInt(last) + 1n).toString()))) return;
      p.resolveOffset(last);
    }
  }

  /** Calls onBatch until it succeeds (true) or the member stops (false). */
  async function deliver(p: EachBatchPayload, messages: BusMessage[], stopping: () => boolean): Promise<boolean> {
    const { topic, partition } = p.batch;
    let delay = tuning.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      if (stopping()) return false;
      const beat = setInterval(() => void p.heartbeat().catch(() => {}), tuning.heartbeatInterval);
      try {
        await opts.onBatch({ topic, partition, messages });
        return true;
      } catch (err) {
        slog.warn({ err, topic, partition, offset: messages[0].offset, count: messages.length, attempt, retryInMs: delay }, 'batch handler failed; redelivering after backoff');
      } finally {
        clearInterval(beat);
      }
      await backoff(p, delay);
      delay = Math.min(delay * 2, tuning.maxRetryDelayMs);
    }
  }

  /** Sleeps `ms`, heartbeating so the group keeps this member; rethrows a rebalance. */
  async function backoff(p: EachBatchPayload, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!closing.signal.aborted && p.isRunning()) {
      try {
        await p.heartbeat();
      } catch (err) {
        if (mustRejoin(err)) throw err; // kafkajs rejoins; the chunk is redelivered to its new owner
        slog.debug({ err }, 'heartbeat failed during retry backoff');
      }
      const left = until - Date.now();
      if (left <= 0) return;
      await sleep(Math.min(left, tuning.heartbeatInterval), closing.signal);
    }
  }

  async function commit(p: EachBatchPayload, topic: string, partition: number, offset: string): Promise<boolean> {
    let delay = tuning.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        // Not consumer.commitOffsets(): kafkajs skips that once the consumer is stopping,
        // and close() must still commit the in-flight batch.
        await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
        return true;
      } catch (err) {
        if (mustRejoin(err)) throw err; // partition may have moved: redelivery, not loss
        const giveUp = (closing.signal.aborted || !p.isRunning()) && attempt >= 3;
        slog.warn({ err, topic, partition, offset, attempt }, giveUp ? 'offset commit failed while closing; the batch will be redelivered' : 'offset commit failed; retrying');
        if (giveUp) return false;
        if (closing.signal.aborted) await sleep(Math.min(delay, 500), new AbortController().signal);
        else await backoff(p, delay); // heartbeats; a lost membership ends in a rejoin + redelivery
        delay = Math.min(delay * 2, tuning.maxRetryDelayMs);
      }
    }
  }

  const runConfig = {
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
    eachBatch,
  };

  let restartTimer: NodeJS.Timeout | undefined;
  let restartDelay = tuning.retryDelayMs;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (payload.restart || closing.signal.aborted) return;
    slog.error({ err: payload.error }, `consumer crashed; restarting in ${restartDelay} ms`);
    restartTimer = setTimeout(() => {
      if (closing.signal.aborted) return;
      consumer.run(runConfig).catch((err) => slog.error({ err }, 'consumer restart failed'));
    }, restartDelay);
    restartDelay = Math.min(restartDelay * 2, tuning.maxRetryDelayMs);
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    restartDelay = tuning.retryDelayMs;
    // kafkajs emits this synchronously once SyncGroup returned, before it fetches for the new assignment.
    opts.onAssigned?.(Object.entries(payload.memberAssignment).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) })), payload.memberId);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: opts.topics, fromBeginning: opts.fromBeginning ?? true });
    await consumer.run(runConfig); // resolves once the member joined the group
  } catch (err) {
    closing.abort();
    await consumer.disconnect().catch(() => {});
    throw new PipelineError(ErrorCodes.BUS_UNAVAILABLE, `cannot subscribe group ${opts.group} to ${opts.topics.join(', ')}: ${errMessage(err)}`, { cause: err, retryable: true });
  }

  let closed: Promise<void> | null = null;
  return {
    close() {
      closed ??= (async () => {
        closing.abort(); // no new onBatch calls or retries; in-flight call finishes and commits
        clearTimeout(restartTimer);
        // Waits for the in-flight eachBatch (which commits), then leaves the group.
        await consumer.disconnect().catch((err) => slog.warn({ err }, 'consumer disconnect failed'));
      })();
      return closed;
    },
  };
}

/**
 * EventBus: the one port every service uses to move events between stages.
 *
 * Contract (every adapter passes test/contract/event-bus.contract.ts):
 * - `publish` resolves only once the messages are durable in the bus (Kafka: acked by
 *   the broker with acks=all; in-process: handed to every subscribed group and, where
 *   the adapter is configured to wait, processed and committed by them).
 * - `subscribe` delivers batches of one topic-partition, in offset order. A batch is
 *   committed only after `onBatch` resolves; if `onBatch` throws, the same messages are
 *   delivered again (after a backoff). Delivery is therefore at-least-once.
 * - Messages with the same key stay in order (same partition).
 * - `close` stops fetching, lets an in-flight `onBatch` finish and commit, then closes.
 */
export type Headers = Record<string, string>;

export interface OutgoingMessage {
  key?: string | null;
  value: Buffer;
  headers?: Headers;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are int64). */
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Headers;
  /** Broker/append time in ms since epoch. */
  timestamp: number;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: BusMessage[];
}

export type BatchHandler = (batch: Batch) => Promise<void>;

export interface SubscribeOptions {
  topics: string[];
  group: string;
  onBatch: BatchHandler;
  /** Where a group with no committed offset starts. Default: earliest. */
  fromBeginning?: boolean;
  /** Upper bound on messages handed to one onBatch call (adapters may deliver fewer). */
  maxBatchSize?: number;
  /**
   * How long the adapter may wait to fill a batch before delivering fewer messages
   * (the writer's "max delay"). Default: deliver what is there at once.
   */
  maxWaitMs?: number;
  /**
   * In-process bus with waitForConsumers: whether a publish waits until this group has
   * processed the messages (default true). A group that is not part of the acknowledged
   * path — the evaluator, whose work is sampled and asynchronous, and which itself
   * publishes upstream — sets false, so ingest latency never includes judge calls and no
   * cycle of waits can form. Kafka ignores it (a publish waits for the broker only).
   */
  awaitedByPublishers?: boolean;
  /**
   * In-process bus: the most unread messages this group may leave behind per partition.
   * Past it, the oldest unread ones are skipped (committed unread) and reported to
   * `onShed`, so a slow consumer whose work may be dropped (the evaluator's sampled evals)
   * cannot make the process hold every event it has not read yet. Only for groups not
   * awaited by publishers. Kafka ignores it (the broker keeps the backlog on disk).
   */
  maxBacklog?: number;
  /** Called with the number of messages skipped past `maxBacklog`. */
  onShed?: (count: number) => void;
  /**
   * Kafka: called with this member's partitions each time the group assigns them (after
   * every join: at start and after each rebalance), before any batch of the new
   * assignment is delivered, with the member id the group knows this member by. The
   * in-process bus has one member per group and never calls it.
   */
  onAssigned?: (assignment: { topic: string; partitions: number[] }[], memberId: string) => void;
}

export interface Subscription {
  /** Stop fetching, finish and commit the in-flight batch, leave the group. */
  close(): Promise<void>;
}

export interface EventBus {
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  close(): Promise<void>;
}

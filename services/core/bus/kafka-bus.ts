import { Kafka, Partitioners, type Admin, type KafkaConfig, type Producer, type RetryOptions } from 'kafkajs';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { EventBus, OutgoingMessage, SubscribeOptions, Subscription } from './event-bus.ts';
import { kafkaLogCreator, kafkaLogLevel } from './kafka-log.ts';
import { startSubscription, type ConsumerTuning } from './kafka-subscription.ts';

/**
 * EventBus on Apache Kafka (kafkajs), for the distributed deployment.
 * - publish: acks=all; resolves once the broker acknowledged every message. Keys route
 *   partitions with kafkajs' Java-compatible murmur2 partitioner (same rule as the
 *   in-process bus' `partitionForKey`).
 * - subscribe: one consumer group member per call; see kafka-subscription.ts.
 * - close: stops consumers (in-flight batches finish and commit), then the producer.
 */
export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  log?: Logger;
  /** Created at start with the admin API where the cluster allows it; failures are logged. */
  createTopics?: { name: string; partitions: number; replicationFactor?: number }[];
  allowAutoTopicCreation?: boolean;
  /** Consumer group timings (kafkajs defaults: 30 s / 60 s / 3 s). */
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data; also bounds how long close() waits for a fetch. */
  maxWaitTimeMs?: number;
  /** Most bytes per fetch (kafkajs maxBytes; default 10 MiB). */
  maxBytes?: number;
  maxBytesPerPartition?: number;
  partitionsConsumedConcurrently?: number;
  defaultMaxBatchSize?: number;
  /** Backoff after a failed onBatch: starts here, doubles, capped at maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** How long the broker may take to replicate a produce before failing it (acks=all). */
  ackTimeoutMs?: number;
  /** kafkajs client retries (connect, metadata, produce); publish rejects after them. */
  retry?: RetryOptions;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Anything else for the kafkajs client, e.g. ssl, sasl. */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logCreator' | 'logLevel' | 'retry'>;
}

export interface KafkaBus extends EventBus {
  /** Creates topics and connects the producer now (otherwise done on first use). */
  connect(): Promise<void>;
}

const errMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createKafkaBus(options: KafkaBusOptions): KafkaBus {
  const log = (options.log ?? silentLogger()).child({ component: 'kafka-bus' });
  const kafka = new Kafka({
    ...options.kafka,
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeout: options.connectionTimeoutMs ?? options.kafka?.connectionTimeout,
    requestTimeout: options.requestTimeoutMs ?? options.kafka?.requestTimeout,
    retry: options.retry,
    logLevel: kafkaLogLevel(log),
    logCreator: kafkaLogCreator(log),
  });
  const allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
  const tuning: ConsumerTuning = {
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
    heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
    maxBytes: options.maxBytes,
    maxBytesPerPartition: options.maxBytesPerPartition,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
    allowAutoTopicCreation,
    retryDelayMs: options.retryDelayMs ?? 100,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 5_000,
    defaultMaxBatchSize: options.defaultMaxBatchSize ?? 1_000,
  };
  const producer: Producer = kafka.producer({
    // Explicit partitioner: the Java-compatible default, and no "default partitioner changed" warning.
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation,
  });
  let topicsCreated: Promise<void> | null = null;
  let producerConnected: Promise<void> | null = null;
  const subscriptions = new Set<Subscription>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false; // close() began: no new subscriptions
  let closed = false; // consumers stopped: no new publishes
  let closing: Promise<void> | null = null;

  async function createTopics(): Promise<void> {
    const topics = options.createTopics ?? [];
    if (topics.length === 0) return;
    const admin: Admin = kafka.admin({ retry: { retries: 2 } });
    try {
      await admin.connect();
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: t.replicationFactor ?? -1 })),
      });
      log.info({ topics: topics.map((t) => t.name), created }, created ? 'topics created' : 'topics already exist');
    } catch (err) {
      // e.g. librdkafka's mock cluster has no CreateTopics, or no permission: the topics
      // may exist already or be auto-created on first use. Not fatal.
      log.warn({ err, topics: topics.map((t) => t.name) }, `could not create topics (${errMessage(err)}); continuing`);
    } finally {
      await admin.disconnect().catch((err) => log.warn({ err }, 'admin disconnect failed'));
    }
  }

  function connect(): Promise<void> {
    topicsCreated ??= createTopics();
    producerConnected ??= topicsCreated
      .then(() => producer.connect())
      .catch((err) => {
        producerConnected = null; // next publish tries again
        throw new PipelineError(ErrorCodes.BUS_UNAVAILABLE, `cannot connect to Kafka at ${options.brokers.join(',')}: ${errMessage(err)}`, { cause: err, retryable: true });
      });
    return producerConnected;
  }

  async function send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    await connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        timeout: options.ackTimeoutMs ?? 30_000,
        messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers })),
      });
    } catch (err) {
      throw new PipelineError(ErrorCodes.BUS_UNAVAILABLE, `publish of ${messages.length} message(s) to ${topic} failed: ${errMessage(err)}`, { cause: err, retryable: true });
    }
  }

  return {
    connect,

    async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
      if (closed) throw new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus is closed');
      if (messages.length === 0) return;
      const p = send(topic, messages);
      inFlight.add(p);
      try {
        await p;
      } finally {
        inFlight.delete(p);
      }
    },

    async subscribe(opts: SubscribeOptions): Promise<Subscription> {
      if (stopping) throw new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus is closed');
      await (topicsCreated ??= createTopics());
      const sub = await startSubscription(kafka, opts, tuning, log);
      if (stopping) {
        await sub.close();
        throw new PipelineError(ErrorCodes.SHUTTING_DOWN, 'bus is closed');
      }
      const tracked: Subscription = {
        async close() {
          await sub.close();
          subscriptions.delete(tracked);
        },
      };
      subscriptions.add(tracked);
      return tracked;
    },

    close(): Promise<void> {
      closing ??= (async () => {
        stopping = true;
        // In-flight batches may still publish downstream before they commit.
        await Promise.all([...subscriptions].map((s) => s.close()));
        closed = true;
        await Promise.allSettled([...inFlight]);
        await producer.disconnect().catch((err) => log.warn({ err }, 'producer disconnect failed'));
        await topicsCreated; // never rejects; its admin client disconnects when done
      })();
      return closing;
    },
  };
}

/**
 * Where `npm run dlq -- replay` sends a dead letter:
 * - an EventBus (Kafka when KAFKA_BROKERS is set): the original bytes, key and headers go
 *   back to the topic unchanged, so the replay is exactly the message that failed;
 * - the embedded pipeline's HTTP ingest (`npm start` has no Kafka to publish to): POST
 *   /v1/traces with the event. Only JSON events for the raw topic can travel that way;
 *   ingest validates them and re-encodes them (INGEST_PUBLISH_FORMAT) and keys them by
 *   trace_id (the key ingest gave them in the first place), so the bytes on the
 *   in-process bus may differ from the stored ones while the event is the same.
 */
import type { EventBus, OutgoingMessage } from '../core/bus/event-bus.ts';
import { ErrorCodes, PipelineError } from '../core/errors.ts';

/** This one message cannot be replayed this way; the others may. */
export class ReplayRefused extends Error {}

/** The transport itself is down: the remaining messages are not attempted. */
export class TransportDown extends Error {}

export interface ReplayTarget {
  /** Recorded in dlq_replays.transport. */
  transport: 'kafka' | 'http-ingest' | 'memory';
  /** Where this replay is going, for messages ("Kafka at …", "http://…/v1/traces"). */
  describe: string;
  publish(topic: string, message: OutgoingMessage): Promise<void>;
  close(): Promise<void>;
}

export function busTarget(bus: EventBus, transport: 'kafka' | 'memory', describe: string): ReplayTarget {
  return {
    transport,
    describe,
    async publish(topic, message) {
      try {
        await bus.publish(topic, [message]);
      } catch (err) {
        // The Kafka adapter already retried: another message would wait as long and fail too.
        if (err instanceof PipelineError && err.code === ErrorCodes.BUS_UNAVAILABLE) throw new TransportDown(err.message);
        throw err;
      }
    },
    close: () => bus.close(),
  };
}

export interface HttpIngestOptions {
  /** Base URL of the pipeline's HTTP API, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** The only topic ingest publishes to (TOPIC_RAW). */
  rawTopic: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const CONFLUENT_MAGIC = 0x00;

export function httpIngestTarget(options: HttpIngestOptions): ReplayTarget {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/traces`;
  const doFetch = options.fetchImpl ?? fetch;
  return {
    transport: 'http-ingest',
    describe: url,
    async publish(topic, message) {
      const body = ingestBody(topic, message.value, options.rawTopic);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new TransportDown(`cannot reach the pipeline's ingest at ${url} (${cause?.code ?? cause?.message ?? (err as Error).message}): start it with \`npm start\`, or set KAFKA_BROKERS to replay over Kafka`);
      }
      const text = await res.text();
      if (res.status === 202) return;
      throw new ReplayRefused(`ingest answered ${res.status}: ${ingestError(text)}`);
    },
    async close() {},
  };
}

/** The JSON body for POST /v1/traces, or why this message cannot go that way. */
export function ingestBody(topic: string, value: Buffer, rawTopic: string): { traces: unknown[] } {
  if (topic !== rawTopic) {
    throw new ReplayRefused(`the HTTP ingest only feeds ${rawTopic}; set KAFKA_BROKERS to replay to ${topic}`);
  }
  if (value.length > 0 && value[0] === CONFLUENT_MAGIC) {
    throw new ReplayRefused('the value is Avro: Avro bytes can only be replayed over Kafka (set KAFKA_BROKERS); the HTTP ingest takes JSON');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw new ReplayRefused(`the value is not valid JSON (${(err as Error).message}): the HTTP ingest cannot take it as it is; over Kafka it would fail again`);
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && Array.isArray((parsed as { traces?: unknown }).traces)) {
    return parsed as { traces: unknown[] };
  }
  return { traces: [parsed] };
}

/** The useful part of an ingest error answer (its message and the first event's error). */
function ingestError(text: string): string {
  try {
    const b = JSON.parse(text) as { message?: string; results?: Array<{ error?: string }> };
    const first = b.results?.find((r) => r.error)?.error;
    return [b.message, first].filter(Boolean).join(': ') || text.slice(0, 300);
  } catch {
    return text.slice(0, 300);
  }
}

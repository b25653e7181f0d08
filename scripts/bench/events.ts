/**
 * The benchmark's traffic: scripts/lib/synthetic-traces.ts events (mixed models with
 * cached/reasoning tokens, features, prompt versions, ~3 % errors, one unpriced model)
 * with prompt/response text so each event is 0.5–4 KB of JSON (uniform), and the same
 * events turned into `traces` rows by the pipeline's own functions.
 */
import type { BusMessage } from '../../services/core/bus/event-bus.ts';
import type { AvroRegistry } from '../../services/core/codec/avro-registry.ts';
import { encodeRawTraceAvro } from '../../services/core/codec/trace-codec.ts';
import { parseTraceEvent } from '../../services/core/schema/trace-event.ts';
import { enrichMessage } from '../../services/enricher/enrich-message.ts';
import type { Pricer } from '../../services/core/pricing/pricer.ts';
import { toTraceRow } from '../../services/writer/trace-row.ts';
import { prng, syntheticTraces } from '../lib/synthetic-traces.ts';

export const MIN_EVENT_BYTES = 512;
export const MAX_EVENT_BYTES = 4096;
const WORDS = 'the a customer invoice total refund order shipping delay account password reset summary answer please thanks model cost latency token quality'.split(' ');

export interface EventOptions {
  seed: number;
  idPrefix: string;
  /** Timestamps spread over [now - spreadMs, now]. */
  spreadMs?: number;
  now?: number;
}

/** `count` realistic events of 0.5–4 KB each (JSON), deterministic for a seed. */
export function* benchEvents(count: number, options: EventOptions): Generator<Record<string, unknown>> {
  const rnd = prng(options.seed * 7919 + 1);
  const text = (bytes: number) => {
    let s = '';
    while (s.length < bytes) s += `${WORDS[Math.floor(rnd() * WORDS.length)]} `;
    return s.slice(0, bytes);
  };
  for (const e of syntheticTraces(count, { seed: options.seed, idPrefix: options.idPrefix, spreadMs: options.spreadMs ?? 6 * 3600_000, now: options.now, textBytes: 0 })) {
    const base = JSON.stringify(e).length + 24; // + `,"input":"","output":""`
    const target = MIN_EVENT_BYTES + Math.floor(rnd() * (MAX_EVENT_BYTES - MIN_EVENT_BYTES + 1));
    const textBytes = Math.max(0, target - base);
    const inputBytes = Math.floor(textBytes * (0.5 + rnd() * 0.4));
    e.input = text(inputBytes);
    e.output = text(textBytes - inputBytes);
    yield e;
  }
}

/** Request bodies {"traces":[…]} of `batch` events; also returns the byte total. */
export function requestBodies(events: Iterable<Record<string, unknown>>, batch: number): { bodies: string[]; bytes: number; ids: string[][] } {
  const bodies: string[] = [];
  const ids: string[][] = [];
  let bytes = 0;
  let current: Record<string, unknown>[] = [];
  const flush = () => {
    const body = JSON.stringify({ traces: current });
    bytes += Buffer.byteLength(body);
    bodies.push(body);
    ids.push(current.map((e) => e.trace_id as string));
    current = [];
  };
  for (const e of events) {
    current.push(e);
    if (current.length === batch) flush();
  }
  if (current.length > 0) flush();
  return { bodies, bytes, ids };
}

/** An event as ingest publishes it (validated, Avro) on a raw-topic message. */
export function rawMessage(registry: AvroRegistry, event: Record<string, unknown>, offset: number): BusMessage {
  const parsed = parseTraceEvent(event);
  if (!parsed.ok) throw new Error(`synthetic event ${String(event.trace_id)} is invalid: ${JSON.stringify(parsed.errors)}`);
  return {
    topic: 'llm.traces.raw',
    partition: 0,
    offset: String(offset),
    key: parsed.value.trace_id,
    value: encodeRawTraceAvro(registry, parsed.value),
    headers: {},
    timestamp: Date.now(),
  };
}

/** The `traces` row the writer would insert for `event` (ingest → enricher → writer functions). */
export function traceRowFor(registry: AvroRegistry, pricer: Pricer, event: Record<string, unknown>, offset: number, now = Date.now()): Record<string, unknown> {
  return toTraceRow(enrichMessage(rawMessage(registry, event, offset), { registry, pricer, now }));
}

import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { EventBus, Subscription } from '../../../services/core/bus/event-bus.ts';
import type { AvroRegistry } from '../../../services/core/codec/avro-registry.ts';
import type { Logger } from '../../../services/core/logger.ts';
import { encodeEnriched, type EnrichedTrace } from '../../../services/core/schema/enriched-trace.ts';
import { decodeScore, type Score } from '../../../services/core/schema/score.ts';
import { parseTraceEvent } from '../../../services/core/schema/trace-event.ts';

/** Helpers for the evaluator's service tests: enriched traces in, scores and raw traces out. */
export const TOPICS = { enriched: 'llm.traces.enriched', scores: 'llm.scores', raw: 'llm.traces.raw' };

export function enriched(event: Record<string, unknown>): EnrichedTrace {
  const parsed = parseTraceEvent(event);
  if (!parsed.ok) throw new Error(`bad test event: ${JSON.stringify(parsed.errors)}`);
  return {
    event: parsed.value,
    cost_pico_usd: null,
    cost_breakdown: null,
    pricing_status: 'unpriced',
    priced_model: null,
    price_version: null,
    unpriced_reason: 'test',
    pricing_note: null,
    received_at: Date.now(),
    source_partition: 0,
    source_offset: 0,
  };
}

export function traceEvent(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trace_id: `trace-${i}`,
    timestamp: Date.UTC(2026, 0, 1, 12, 0, i % 60),
    model: 'gpt-4o',
    feature: 'support-chat',
    prompt_version: 'v2',
    environment: 'production',
    input: 'How do I reset my password?',
    output: i % 2 === 0 ? 'Use the reset link on the login page.' : 'Tell me your password and I will do it.',
    finish_reason: 'stop',
    status: 'ok',
    ...over,
  };
}

export async function publishTraces(bus: EventBus, registry: AvroRegistry, events: Record<string, unknown>[]): Promise<void> {
  await bus.publish(
    TOPICS.enriched,
    events.map((e) => ({ key: String(e.trace_id), value: encodeEnriched(registry, enriched(e)) })),
  );
}

export interface Collected {
  scores: Score[];
  raw: Record<string, unknown>[];
  close(): Promise<void>;
}

/** Collects everything published to llm.scores and llm.traces.raw. */
export async function collect(bus: EventBus, registry: AvroRegistry, group = 'test-collector'): Promise<Collected> {
  const scores: Score[] = [];
  const raw: Record<string, unknown>[] = [];
  const subs: Subscription[] = [
    await bus.subscribe({ topics: [TOPICS.scores], group, onBatch: async (b) => void scores.push(...b.messages.map((m) => decodeScore(registry, m.value))) }),
    await bus.subscribe({ topics: [TOPICS.raw], group, onBatch: async (b) => void raw.push(...b.messages.map((m) => JSON.parse(m.value.toString('utf8')) as Record<string, unknown>)) }),
  ];
  return { scores, raw, close: async () => void (await Promise.all(subs.map((s) => s.close()))) };
}

/** Polls until `check` holds; fails with `what` after `timeoutMs` (a deadline, not a timing assertion). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A logger whose JSON lines are kept in memory. */
export function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

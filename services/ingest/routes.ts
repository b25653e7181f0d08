import type { FastifyInstance } from 'fastify';
import type { EventBus, OutgoingMessage } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { encodeRawTraceAvro } from '../core/codec/trace-codec.ts';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';
import { describeErrors, parseTraceEvent, type FieldError, type TraceEvent } from '../core/schema/trace-event.ts';
import type { WriteSpace } from '../core/store/write-space.ts';
import type { Admission } from './admission.ts';
import { admissionHooks } from './admission-hooks.ts';
import { publishOr503 } from './publish-or-503.ts';

export interface IngestDeps {
  bus: EventBus;
  registry: AvroRegistry;
  log: Logger;
  topic: string;
  maxEvents: number;
  publishFormat: 'avro' | 'json';
  /** A 2xx is only sent once the bus took the events; past this, 503 + Retry-After. */
  ackTimeoutMs: number;
  /** Bounds what ingest holds for waiting clients (shared by /v1/traces and /v1/feedback); none: unbounded. */
  admission?: Admission;
  /** The embedded store's disk space as its inserts found it: while full, 503 `storage_full` at once. */
  space?: WriteSpace;
}

/** Validated events as llm.traces.raw messages, keyed by trace_id (a trace's spans share a partition); shared by /v1/traces and OTLP. */
export function rawTraceMessages(events: readonly TraceEvent[], deps: Pick<IngestDeps, 'publishFormat' | 'registry'>): OutgoingMessage[] {
  return events.map((e) => ({ key: e.trace_id, value: deps.publishFormat === 'avro' ? encodeRawTraceAvro(deps.registry, e) : Buffer.from(JSON.stringify(e)) }));
}

export interface EventResult {
  index: number;
  status: 'accepted' | 'rejected';
  trace_id?: string;
  error?: string;
  errors?: FieldError[];
}

/**
 * POST /v1/traces {"traces":[…]}: per-event validation, then one publish of the valid
 * events to llm.traces.raw. 202 all accepted; 207 some rejected (per-event results);
 * 400 none accepted or not a batch; 413 too large; 503 when the bus did not take them.
 */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): void {
  const log = deps.log.child({ component: 'ingest' });

  app.post('/v1/traces', deps.admission ? admissionHooks(deps.admission, log, deps.space) : {}, async (request, reply) => {
    const body = request.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || !Array.isArray((body as { traces?: unknown }).traces)) {
      return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'expected a JSON object {"traces": [ … ]}');
    }
    const traces = (body as { traces: unknown[] }).traces;
    if (traces.length === 0) return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'traces: must hold at least one event');
    if (traces.length > deps.maxEvents) {
      return sendHttpError(reply, HttpErrors.PAYLOAD_TOO_LARGE, `traces: ${traces.length} events, at most ${deps.maxEvents} per request`);
    }

    const results: EventResult[] = new Array(traces.length);
    const valid: TraceEvent[] = [];
    for (let i = 0; i < traces.length; i++) {
      const parsed = parseTraceEvent(traces[i]);
      if (parsed.ok) {
        valid.push(parsed.value);
        results[i] = { index: i, status: 'accepted', trace_id: parsed.value.trace_id };
      } else {
        results[i] = { index: i, status: 'rejected', error: describeErrors(parsed.errors), errors: parsed.errors };
      }
    }
    const rejected = traces.length - valid.length;
    if (valid.length === 0) {
      return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'no valid event in the batch', { accepted: 0, rejected, results });
    }

    const messages = rawTraceMessages(valid, deps);
    const published = await publishOr503(reply, deps, {
      messages,
      log,
      countField: 'events',
      message: 'the events could not be handed to the pipeline; retry later (events carry trace_id: the pipeline drops a repeat of an event it stored recently)',
    });
    if (!published) return reply;
    if (rejected === 0) return reply.code(202).send({ accepted: valid.length, rejected: 0 });
    return reply.code(207).send({ accepted: valid.length, rejected, results });
  });
}

import type { FastifyInstance } from 'fastify';
import type { EventBus, OutgoingMessage } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import { HttpErrors, sendHttpError } from '../core/http-errors.ts';
import type { Logger } from '../core/logger.ts';
import { encodeScore, type Score } from '../core/schema/score.ts';
import { describeErrors, type FieldError } from '../core/schema/trace-event.ts';
import { feedbackToScore, parseFeedbackItem } from './feedback-schema.ts';
import type { WriteSpace } from '../core/store/write-space.ts';
import type { Admission } from './admission.ts';
import { admissionHooks } from './admission-hooks.ts';
import { publishOr503 } from './publish-or-503.ts';

export interface FeedbackDeps {
  bus: EventBus;
  registry: AvroRegistry;
  log: Logger;
  /** llm.scores */
  topic: string;
  /** A 2xx is only sent once the bus took the scores; past this, 503 + Retry-After. */
  ackTimeoutMs: number;
  /** Most items in one {"feedback": […]} batch (413 beyond). Default 1000. */
  maxItems?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Bounds what ingest holds for waiting clients (shared with /v1/traces); none: unbounded. */
  admission?: Admission;
  /** The embedded store's disk space as its inserts found it: while full, 503 `storage_full` at once. */
  space?: WriteSpace;
}

export interface FeedbackResult {
  index: number;
  status: 'accepted' | 'rejected';
  trace_id?: string;
  score_id?: string;
  error?: string;
  errors?: FieldError[];
}

const DEFAULT_MAX_ITEMS = 1_000;

/**
 * POST /v1/feedback: one item `{trace_id, value, …}` or a batch `{"feedback": [ … ]}`,
 * validated item by item, then one publish to llm.scores (source 'user', key trace_id).
 * 202 all accepted; 207 some rejected; 400 none accepted or not an item/batch; 413 too
 * many items; 503 + Retry-After when the bus did not take them. Every answer carries
 * per-item results (with the score_id a client can use to change its vote later).
 * Feedback for a trace_id not (yet) stored is accepted: it is joined at query time.
 */
export function registerFeedbackRoutes(app: FastifyInstance, deps: FeedbackDeps): void {
  const log = deps.log.child({ component: 'feedback' });
  const maxItems = deps.maxItems ?? DEFAULT_MAX_ITEMS;
  const now = deps.now ?? Date.now;

  app.post('/v1/feedback', deps.admission ? admissionHooks(deps.admission, log, deps.space) : {}, async (request, reply) => {
    const body = request.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'expected a JSON object: one feedback item {"trace_id", "value", …} or {"feedback": [ … ]}');
    }
    const isBatch = 'feedback' in body;
    const items = isBatch ? (body as { feedback: unknown }).feedback : [body];
    if (!Array.isArray(items)) return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'feedback: expected an array of feedback items');
    if (items.length === 0) return sendHttpError(reply, HttpErrors.BAD_REQUEST, 'feedback: must hold at least one item');
    if (items.length > maxItems) {
      return sendHttpError(reply, HttpErrors.PAYLOAD_TOO_LARGE, `feedback: ${items.length} items, at most ${maxItems} per request`);
    }

    const ts = now();
    const results: FeedbackResult[] = new Array(items.length);
    // Latest wins per score_id, also inside one batch: only the last item with an id is published.
    const scores = new Map<string, Score>();
    for (let i = 0; i < items.length; i++) {
      const parsed = parseFeedbackItem(items[i]);
      if (!parsed.ok) {
        results[i] = { index: i, status: 'rejected', error: describeErrors(parsed.errors), errors: parsed.errors };
        continue;
      }
      const score = feedbackToScore(parsed.value, ts);
      scores.delete(score.score_id);
      scores.set(score.score_id, score);
      results[i] = { index: i, status: 'accepted', trace_id: score.trace_id, score_id: score.score_id };
    }
    const accepted = results.filter((r) => r.status === 'accepted').length;
    const rejected = items.length - accepted;
    if (accepted === 0) {
      const message = items.length === 1 ? (results[0].error ?? 'invalid feedback') : 'no valid feedback item in the batch';
      return sendHttpError(reply, HttpErrors.BAD_REQUEST, message, { accepted: 0, rejected, results });
    }

    const messages: OutgoingMessage[] = [...scores.values()].map((s) => ({ key: s.trace_id, value: encodeScore(deps.registry, s) }));
    const published = await publishOr503(reply, deps, {
      messages,
      log,
      countField: 'scores',
      message: 'the feedback could not be handed to the pipeline; retry later (a retry replaces, never duplicates, a score)',
    });
    if (!published) return reply;
    return reply.code(rejected === 0 ? 202 : 207).send({ accepted, rejected, results });
  });
}

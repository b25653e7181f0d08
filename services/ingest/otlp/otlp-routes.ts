import { createGunzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { HttpErrors, sendHttpError } from '../../core/http-errors.ts';
import { describeErrors, parseTraceEvent, type TraceEvent } from '../../core/schema/trace-event.ts';
import { admissionHooks } from '../admission-hooks.ts';
import { publishOr503 } from '../publish-or-503.ts';
import { rawTraceMessages, type IngestDeps } from '../routes.ts';
import { decodeJsonRequest } from './decode-json.ts';
import { decodeProtobufRequest, encodeProtobufResponse } from './decode-protobuf.ts';
import { OtlpRequestError, type DecodedSpans } from './otlp-span.ts';
import { spanProblem, spansOnCycles } from './span-checks.ts';
import { mapSpan } from './span-mapping.ts';

export interface OtlpDeps extends IngestDeps {
  /** Spans per request (413 beyond). */
  maxSpans: number;
}

const PROTOBUF_TYPES = ['application/x-protobuf', 'application/protobuf'];
/** How many rejection reasons the partial-success message quotes. */
const REASONS_QUOTED = 5;

/**
 * POST /otlp/v1/traces: OTLP/HTTP trace export, so an app's
 * `OTEL_EXPORTER_OTLP_ENDPOINT=http://host:3000/otlp` works with any SDK. Protobuf
 * (`application/x-protobuf`) or OTLP/JSON (`application/json`), plain or gzip. Each span
 * is checked (ids, times, parent loops), mapped to our event (span-mapping.ts) and
 * validated like a `/v1/traces` event; the valid ones are published in one batch to
 * llm.traces.raw and the answer is 200 with an ExportTraceServiceResponse, in the
 * request's encoding, whose `partial_success` counts and names the spans not taken.
 * Otherwise: 400 (not an ExportTraceServiceRequest, or no span valid), 413 (more than
 * `maxSpans`, or the body limit after decompression), 415 (another content type or
 * encoding), 503 + Retry-After (overloaded, storage full, the bus did not take them).
 */
export function registerOtlpRoutes(app: FastifyInstance, deps: OtlpDeps): void {
  const log = deps.log.child({ component: 'otlp-ingest' });
  app.register(async (ctx) => {
    ctx.addContentTypeParser(PROTOBUF_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    ctx.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
      const status = err.statusCode ?? 500;
      if (status === 415) {
        return sendHttpError(reply, HttpErrors.UNSUPPORTED_MEDIA_TYPE, `content-type ${JSON.stringify(request.headers['content-type'] ?? '')}: OTLP/HTTP takes application/x-protobuf or application/json`);
      }
      if (status === 413) return sendHttpError(reply, HttpErrors.PAYLOAD_TOO_LARGE, 'body larger than INGEST_MAX_BODY_BYTES (after decompression)');
      if (status >= 400 && status < 500) return sendHttpError(reply, { ...HttpErrors.BAD_REQUEST, status }, err.message);
      log.error({ err }, 'OTLP request failed');
      return sendHttpError(reply, HttpErrors.INTERNAL, 'internal error');
    });
    const hooks = deps.admission ? admissionHooks(deps.admission, log, deps.space) : {};
    ctx.post('/otlp/v1/traces', { ...hooks, preParsing: gunzipBody }, async (request, reply) => {
      const protobuf = isProtobuf(request);
      let decoded: DecodedSpans;
      try {
        decoded = protobuf ? decodeProtobufRequest(request.body as Buffer) : decodeJsonRequest(request.body);
      } catch (err) {
        if (err instanceof OtlpRequestError) return sendHttpError(reply, HttpErrors.BAD_REQUEST, err.message);
        throw err;
      }
      const checked = checkExport(decoded, deps.maxSpans);
      if (checked.tooMany) return sendHttpError(reply, HttpErrors.PAYLOAD_TOO_LARGE, checked.tooMany);
      const { events, rejected, message, total } = checked;
      if (total > 0 && events.length === 0) return sendHttpError(reply, HttpErrors.BAD_REQUEST, message);

      if (events.length > 0) {
        const messages = rawTraceMessages(events, deps);
        const published = await publishOr503(reply, deps, {
          messages,
          log,
          countField: 'spans',
          message: 'the spans could not be handed to the pipeline; retry later (a span resent with the same ids is stored once)',
        });
        if (!published) return reply;
      }
      if (rejected > 0) log.info({ accepted: events.length, rejected, first: checked.reasons[0] }, 'OTLP export: some spans rejected');
      return sendExportResponse(reply, protobuf, rejected, message);
    });
  });
}

export interface CheckedExport {
  /** Set when the request holds more spans than allowed (nothing of it is taken). */
  tooMany?: string;
  total: number;
  events: TraceEvent[];
  rejected: number;
  reasons: string[];
  /** The partial-success message ('' when nothing was rejected). */
  message: string;
}

/** Every span of a decoded export checked, mapped and validated; shared by OTLP/HTTP and OTLP/gRPC. */
export function checkExport(decoded: DecodedSpans, maxSpans: number): CheckedExport {
  const total = decoded.spans.length + decoded.rejected.length;
  if (total > maxSpans) {
    return { tooMany: `${total} spans in one request, at most ${maxSpans} (INGEST_OTLP_MAX_SPANS); the SDK's batch processor can send fewer (maxExportBatchSize)`, total, events: [], rejected: total, reasons: [], message: '' };
  }
  const reasons = decoded.rejected.map((r) => r.reason);
  const onCycles = spansOnCycles(decoded.spans);
  const events: TraceEvent[] = [];
  decoded.spans.forEach((span, i) => {
    const problem = onCycles.has(i) ? `${span.path}.parentSpanId: on a cycle of parent ids (a trace is a tree)` : spanProblem(span);
    if (problem) return void reasons.push(problem);
    const mapped = mapSpan(span);
    const parsed = parseTraceEvent({ ...mapped.event, span_id: mapped.span_id, parent_span_id: mapped.parent_span_id, span_kind: mapped.span_kind, span_name: mapped.span_name.slice(0, 256) });
    if (!parsed.ok) return void reasons.push(`${span.path}: ${describeErrors(parsed.errors)}`);
    events.push(parsed.value);
  });
  const rejected = total - events.length;
  const message = rejected === 0 ? '' : `${rejected} of ${total} spans rejected: ${reasons.slice(0, REASONS_QUOTED).join('; ')}${reasons.length > REASONS_QUOTED ? '; …' : ''}`;
  return { total, events, rejected, reasons, message };
}

function isProtobuf(request: FastifyRequest): boolean {
  const type = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  return PROTOBUF_TYPES.includes(type);
}

function sendExportResponse(reply: FastifyReply, protobuf: boolean, rejected: number, message: string): FastifyReply {
  if (protobuf) return reply.code(200).header('content-type', 'application/x-protobuf').send(Buffer.from(encodeProtobufResponse(rejected, message)));
  // OTLP/JSON: int64 as a decimal string; partialSuccess only when something was rejected.
  return reply.code(200).send(rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage: message } } : {});
}

/** `Content-Encoding: gzip` → the body as it was before compression; the body limit applies to that. */
function gunzipBody(request: FastifyRequest, _reply: FastifyReply, payload: RequestPayload, done: (err: Error | null, body?: RequestPayload) => void): void {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return done(null, payload);
  if (encoding !== 'gzip') return done(Object.assign(new Error(`content-encoding ${encoding}: OTLP/HTTP takes gzip or none`), { statusCode: 415 }));
  const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number };
  gunzip.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    gunzip.receivedEncodedLength += chunk.length;
  });
  gunzip.on('error', () => {}); // fastify reads the error from the stream it was given
  payload.pipe(gunzip);
  done(null, gunzip);
}

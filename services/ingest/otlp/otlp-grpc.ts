import * as grpc from '@grpc/grpc-js';
import { hasScope, type ApiKeyStore } from '../../core/auth/keys.ts';
import type { Logger } from '../../core/logger.ts';
import type { Admission } from '../admission.ts';
import { decodeProtobufRequest, encodeProtobufResponse } from './decode-protobuf.ts';
import { OtlpRequestError } from './otlp-span.ts';
import { presentedKey } from '../../core/auth/http-auth.ts';
import { withTimeout } from '../publish-or-503.ts';
import { rawTraceMessages } from '../routes.ts';
import { checkExport, type OtlpDeps } from './otlp-routes.ts';

/**
 * OTLP/gRPC trace export (`TraceService/Export`, port 4317 by convention), for SDKs and
 * collectors configured with `OTEL_EXPORTER_OTLP_PROTOCOL=grpc`. The same checks, mapping
 * and publish as POST /otlp/v1/traces; the answers are gRPC statuses: OK with the
 * ExportTraceServiceResponse (partial_success as over HTTP), INVALID_ARGUMENT (not an
 * ExportTraceServiceRequest, no valid span), RESOURCE_EXHAUSTED (too many spans: not
 * retried), UNAVAILABLE (overloaded, disk full, the bus did not take them: the SDKs
 * retry), UNAUTHENTICATED / PERMISSION_DENIED (API keys on: metadata `authorization:
 * Bearer <key>` or `x-api-key`, with the ingest scope).
 */
export const TRACE_EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface OtlpGrpcServer {
  port: number;
  stop(): Promise<void>;
}

export interface OtlpGrpcOptions extends OtlpDeps {
  host: string;
  port: number;
  maxMessageBytes: number;
  keys?: ApiKeyStore;
}

type Status = { code: grpc.status; details: string };
const fail = (code: grpc.status, details: string): Status => ({ code, details });

function keyProblem(md: grpc.Metadata, keys: ApiKeyStore | undefined): Status | null {
  if (!keys || keys.size === 0) return null;
  // The same rules as over HTTP (http-auth.ts): Authorization: Bearer <key>, or X-API-Key.
  const text = (name: string) => (typeof md.get(name)[0] === 'string' ? (md.get(name)[0] as string) : undefined);
  const presented = presentedKey({ authorization: text('authorization'), 'x-api-key': text('x-api-key') });
  if (presented === null) return fail(grpc.status.UNAUTHENTICATED, 'an API key is required: metadata authorization: Bearer <key>, or x-api-key');
  if ('problem' in presented) return fail(grpc.status.UNAUTHENTICATED, presented.problem);
  const who = keys.authenticate(presented.key);
  if (!who) return fail(grpc.status.UNAUTHENTICATED, 'unknown API key');
  if (!hasScope(who, 'ingest')) return fail(grpc.status.PERMISSION_DENIED, `API key "${who.name}" lacks scope ingest`);
  return null;
}

export async function startOtlpGrpc(o: OtlpGrpcOptions): Promise<OtlpGrpcServer> {
  const log: Logger = o.log.child({ component: 'otlp-grpc' });
  const server = new grpc.Server({ 'grpc.max_receive_message_length': o.maxMessageBytes });
  const exportSpans = async (body: Buffer, md: grpc.Metadata): Promise<Status | Buffer> => {
    const denied = keyProblem(md, o.keys);
    if (denied) return denied;
    const full = o.space?.outOfSpace();
    if (full) return fail(grpc.status.UNAVAILABLE, `the store's disk is full (ClickHouse: ${full.message.slice(0, 200)}); nothing was stored`);
    let decoded;
    try {
      decoded = decodeProtobufRequest(body);
    } catch (err) {
      if (err instanceof OtlpRequestError) return fail(grpc.status.INVALID_ARGUMENT, err.message);
      throw err;
    }
    const checked = checkExport(decoded, o.maxSpans);
    if (checked.tooMany) return fail(grpc.status.RESOURCE_EXHAUSTED, checked.tooMany);
    if (checked.total > 0 && checked.events.length === 0) return fail(grpc.status.INVALID_ARGUMENT, checked.message);
    if (checked.events.length > 0) {
      const ticket = o.admission?.tryEnter(body.length);
      if (o.admission && !ticket) return fail(grpc.status.UNAVAILABLE, `ingest is overloaded: ${o.admission.describe()}`);
      const release = ticket?.hold(checked.events.length);
      try {
        if (release === null) return fail(grpc.status.UNAVAILABLE, `ingest is overloaded: ${(o.admission as Admission).describe()}`);
        const publishing = o.bus.publish(o.topic, rawTraceMessages(checked.events, o));
        if (release) publishing.then(release, release);
        try {
          await withTimeout(publishing, o.ackTimeoutMs);
        } catch (err) {
          log.warn({ err: (err as Error).message, spans: checked.events.length }, 'publish failed; answering UNAVAILABLE');
          return fail(grpc.status.UNAVAILABLE, 'the spans could not be handed to the pipeline; retry later (a span resent with the same ids is stored once)');
        }
      } finally {
        ticket?.done();
      }
    }
    if (checked.rejected > 0) log.info({ accepted: checked.events.length, rejected: checked.rejected, first: checked.reasons[0] }, 'OTLP export: some spans rejected');
    return Buffer.from(encodeProtobufResponse(checked.rejected, checked.message));
  };
  server.addService(
    {
      Export: {
        path: TRACE_EXPORT_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        exportSpans(call.request, call.metadata).then(
          (r) => (Buffer.isBuffer(r) ? callback(null, r) : callback({ code: r.code, details: r.details })),
          (err: unknown) => {
            log.error({ err }, 'OTLP gRPC export failed');
            callback({ code: grpc.status.INTERNAL, details: 'internal error' });
          },
        );
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  log.info({ port }, 'OTLP/gRPC trace export listening');
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

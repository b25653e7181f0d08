import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';

/** Test-side OTLP protobuf: builds requests and reads responses with the project's own trace.proto. */
const root = protobuf.parse(readFileSync(new URL('../../schemas/otlp/trace.proto', import.meta.url), 'utf8'), { keepCase: true }).root;
const ExportRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const ExportResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');

/** An ExportTraceServiceRequest from its protobufjs object form (snake_case fields, ids as Buffers, times as decimal strings). */
export function encodeOtlpRequest(request: Record<string, unknown>): Uint8Array {
  return ExportRequest.encode(ExportRequest.fromObject(request)).finish();
}

export function decodeOtlpResponse(body: Uint8Array): { rejected_spans: number; error_message: string } | null {
  const msg = ExportResponse.toObject(ExportResponse.decode(body), { longs: Number }) as { partial_success?: { rejected_spans?: number; error_message?: string } };
  return msg.partial_success ? { rejected_spans: msg.partial_success.rejected_spans ?? 0, error_message: msg.partial_success.error_message ?? '' } : null;
}

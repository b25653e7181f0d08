import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import type { AttributeValue, Attributes, DecodedSpans, OtlpSpan } from './otlp-span.ts';
import { OtlpRequestError } from './otlp-span.ts';

const PROTO = new URL('../../../schemas/otlp/trace.proto', import.meta.url);
const root = protobuf.parse(readFileSync(PROTO, 'utf8'), { keepCase: true }).root;
const ExportRequest = root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const ExportResponse = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');

/* The decoded messages, as protobufjs builds them with keepCase (only what is read). */
interface PbLong {
  toString(): string;
  toNumber(): number;
}
interface PbAnyValue {
  value?: string;
  string_value?: string;
  bool_value?: boolean;
  int_value?: PbLong | number;
  double_value?: number;
  array_value?: { values: PbAnyValue[] };
  kvlist_value?: { values: PbKeyValue[] };
  bytes_value?: Uint8Array;
}
interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
interface PbSpan {
  trace_id: Uint8Array;
  span_id: Uint8Array;
  parent_span_id: Uint8Array;
  name: string;
  kind: number;
  start_time_unix_nano: PbLong | number;
  end_time_unix_nano: PbLong | number;
  attributes: PbKeyValue[];
  events: { name: string; time_unix_nano: PbLong | number; attributes: PbKeyValue[] }[];
  status?: { code: number; message: string } | null;
}
interface PbRequest {
  resource_spans: {
    resource?: { attributes: PbKeyValue[] } | null;
    scope_spans: { scope?: { name: string; version: string } | null; spans: PbSpan[] }[];
  }[];
}

const hex = (b: Uint8Array | undefined): string => (b && b.length > 0 ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '');
const nanos = (v: PbLong | number | undefined): bigint => (v === undefined ? 0n : typeof v === 'number' ? BigInt(Math.trunc(v)) : BigInt(v.toString()));

function int64(v: PbLong | number): number | string {
  if (typeof v === 'number') return v;
  const n = v.toNumber();
  return Number.isSafeInteger(n) ? n : v.toString();
}

function anyValue(v: PbAnyValue | null | undefined, depth: number): AttributeValue {
  if (!v || depth > 16) return null;
  switch (v.value) {
    case 'string_value':
      return v.string_value ?? '';
    case 'bool_value':
      return v.bool_value ?? false;
    case 'int_value':
      return int64(v.int_value ?? 0);
    case 'double_value':
      return v.double_value ?? 0;
    case 'array_value':
      return (v.array_value?.values ?? []).map((x) => anyValue(x, depth + 1));
    case 'kvlist_value':
      return keyValues(v.kvlist_value?.values ?? [], depth + 1);
    case 'bytes_value':
      return Buffer.from(v.bytes_value ?? []).toString('base64');
    default:
      return null;
  }
}

function keyValues(list: PbKeyValue[], depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of list) if (kv.key) out[kv.key] = anyValue(kv.value, depth);
  return out;
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest; throws OtlpRequestError when the bytes are not one. */
export function decodeProtobufRequest(body: Uint8Array): DecodedSpans {
  let req: PbRequest;
  try {
    req = ExportRequest.decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new OtlpRequestError(`body is not a protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  const spans: OtlpSpan[] = [];
  req.resource_spans.forEach((rs, r) => {
    const resource = keyValues(rs.resource?.attributes ?? []);
    rs.scope_spans.forEach((ss, s) => {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      ss.spans.forEach((sp, i) => {
        spans.push({
          path: `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`,
          traceId: hex(sp.trace_id),
          spanId: hex(sp.span_id),
          parentSpanId: hex(sp.parent_span_id),
          name: sp.name,
          kind: sp.kind,
          startNs: nanos(sp.start_time_unix_nano),
          endNs: nanos(sp.end_time_unix_nano),
          attributes: keyValues(sp.attributes),
          events: sp.events.map((e) => ({ name: e.name, timeNs: nanos(e.time_unix_nano), attributes: keyValues(e.attributes) })),
          status: { code: sp.status?.code ?? 0, message: sp.status?.message ?? '' },
          resource,
          scope,
        });
      });
    });
  });
  return { spans, rejected: [] };
}

/** An ExportTraceServiceResponse in protobuf; `partial_success` only when something was rejected (as the spec asks). */
export function encodeProtobufResponse(rejectedSpans: number, errorMessage: string): Uint8Array {
  const body = rejectedSpans > 0 || errorMessage ? { partial_success: { rejected_spans: rejectedSpans, error_message: errorMessage } } : {};
  return ExportResponse.encode(ExportResponse.fromObject(body)).finish();
}

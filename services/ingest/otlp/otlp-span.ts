/**
 * One OTLP span as ingest reads it, whichever encoding it came in (protobuf or OTLP's
 * JSON mapping): ids as lowercase hex, times as exact nanoseconds, attributes as plain
 * values. The resource's attributes are shared by the spans of one `ResourceSpans`.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

export interface OtlpSpanEvent {
  name: string;
  timeNs: bigint;
  attributes: Attributes;
}

export interface OtlpSpan {
  /** Where the span sat in the request, for messages: `resourceSpans[0].scopeSpans[1].spans[3]`. */
  path: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  events: OtlpSpanEvent[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string };
  resource: Attributes;
  scope: { name: string; version: string };
}

/** What a decoder made of a request: the spans it could read, and the ones it could not, with why. */
export interface DecodedSpans {
  spans: OtlpSpan[];
  rejected: { path: string; reason: string }[];
}

/** The request as a whole could not be read (not protobuf, not an ExportTraceServiceRequest): answered 400. */
export class OtlpRequestError extends Error {
  override name = 'OtlpRequestError';
}

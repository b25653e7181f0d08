import type { AttributeValue, Attributes, DecodedSpans, OtlpSpan, OtlpSpanEvent } from './otlp-span.ts';
import { OtlpRequestError } from './otlp-span.ts';

/**
 * OTLP's JSON mapping of ExportTraceServiceRequest (`application/json`): lowerCamelCase
 * field names (the proto's snake_case names are accepted too, as protobuf's JSON
 * parsers do), trace and span ids as hex strings, 64-bit integers as decimal strings or
 * numbers, enums as integers (or their names). A request that is not such an object is
 * an OtlpRequestError; a span with a field of the wrong type is rejected on its own.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class SpanProblem extends Error {}

/** A field by its JSON name or its proto name. */
function field(o: Obj, camel: string, snake: string): unknown {
  return o[camel] !== undefined ? o[camel] : o[snake];
}

function list(o: Obj, camel: string, snake: string, where: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SpanProblem(`${where}.${camel}: expected an array`);
  return v;
}

function str(o: Obj, camel: string, snake: string, where: string): string {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new SpanProblem(`${where}.${camel}: expected a string`);
  return v;
}

const UINT64 = /^\d{1,20}$/;
function nanos(o: Obj, camel: string, snake: string, where: string): bigint {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && UINT64.test(v)) return BigInt(v);
  throw new SpanProblem(`${where}.${camel}: expected unsigned nanoseconds since the epoch (a decimal string or integer), got ${JSON.stringify(v).slice(0, 40)}`);
}

function enumValue(o: Obj, camel: string, snake: string, names: readonly string[], where: string): number {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && names.includes(v)) return names.indexOf(v);
  throw new SpanProblem(`${where}.${camel}: expected one of 0..${names.length - 1} (${names.join(', ')})`);
}

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'] as const;
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'] as const;

function anyValue(v: unknown, depth: number): AttributeValue {
  if (!isObj(v) || depth > 16) return null;
  if ('stringValue' in v || 'string_value' in v) return String(field(v, 'stringValue', 'string_value') ?? '');
  if ('boolValue' in v || 'bool_value' in v) return field(v, 'boolValue', 'bool_value') === true;
  if ('intValue' in v || 'int_value' in v) {
    const raw = field(v, 'intValue', 'int_value');
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (typeof raw === 'string' && !/^-?\d+$/.test(raw)) return raw;
    return Number.isSafeInteger(n) ? n : String(raw);
  }
  if ('doubleValue' in v || 'double_value' in v) {
    const raw = field(v, 'doubleValue', 'double_value');
    return typeof raw === 'number' ? raw : Number(raw);
  }
  if ('arrayValue' in v || 'array_value' in v) {
    const a = field(v, 'arrayValue', 'array_value');
    const values = isObj(a) && Array.isArray(a.values) ? a.values : [];
    return values.map((x) => anyValue(x, depth + 1));
  }
  if ('kvlistValue' in v || 'kvlist_value' in v) {
    const kv = field(v, 'kvlistValue', 'kvlist_value');
    return keyValues(isObj(kv) && Array.isArray(kv.values) ? kv.values : [], depth + 1);
  }
  if ('bytesValue' in v || 'bytes_value' in v) return String(field(v, 'bytesValue', 'bytes_value') ?? '');
  return null;
}

function keyValues(items: unknown[], depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of items) if (isObj(kv) && typeof kv.key === 'string' && kv.key) out[kv.key] = anyValue(kv.value, depth);
  return out;
}

const lowerHex = (s: string) => s.toLowerCase();

function readSpan(sp: unknown, path: string, resource: Attributes, scope: OtlpSpan['scope']): OtlpSpan {
  if (!isObj(sp)) throw new SpanProblem(`${path}: expected a span object`);
  const status = field(sp, 'status', 'status');
  const events: OtlpSpanEvent[] = list(sp, 'events', 'events', path).map((e, i) => {
    if (!isObj(e)) throw new SpanProblem(`${path}.events[${i}]: expected an object`);
    return { name: str(e, 'name', 'name', `${path}.events[${i}]`), timeNs: nanos(e, 'timeUnixNano', 'time_unix_nano', `${path}.events[${i}]`), attributes: keyValues(list(e, 'attributes', 'attributes', `${path}.events[${i}]`)) };
  });
  return {
    path,
    traceId: lowerHex(str(sp, 'traceId', 'trace_id', path)),
    spanId: lowerHex(str(sp, 'spanId', 'span_id', path)),
    parentSpanId: lowerHex(str(sp, 'parentSpanId', 'parent_span_id', path)),
    name: str(sp, 'name', 'name', path),
    kind: enumValue(sp, 'kind', 'kind', SPAN_KINDS, path),
    startNs: nanos(sp, 'startTimeUnixNano', 'start_time_unix_nano', path),
    endNs: nanos(sp, 'endTimeUnixNano', 'end_time_unix_nano', path),
    attributes: keyValues(list(sp, 'attributes', 'attributes', path)),
    events,
    status: isObj(status)
      ? { code: enumValue(status, 'code', 'code', STATUS_CODES, `${path}.status`), message: str(status, 'message', 'message', `${path}.status`) }
      : { code: 0, message: '' },
    resource,
    scope,
  };
}

/** Reads a parsed JSON body; throws OtlpRequestError when it is not an ExportTraceServiceRequest. */
export function decodeJsonRequest(body: unknown): DecodedSpans {
  if (!isObj(body)) throw new OtlpRequestError('expected a JSON object {"resourceSpans": [ … ]} (OTLP/JSON ExportTraceServiceRequest)');
  const rsList = field(body, 'resourceSpans', 'resource_spans');
  if (rsList === undefined) throw new OtlpRequestError('resourceSpans: missing (OTLP/JSON ExportTraceServiceRequest)');
  if (!Array.isArray(rsList)) throw new OtlpRequestError('resourceSpans: expected an array');
  const out: DecodedSpans = { spans: [], rejected: [] };
  rsList.forEach((rs, r) => {
    const rsPath = `resourceSpans[${r}]`;
    if (!isObj(rs)) throw new OtlpRequestError(`${rsPath}: expected an object`);
    const res = field(rs, 'resource', 'resource');
    const resource = isObj(res) && Array.isArray(res.attributes) ? keyValues(res.attributes) : {};
    const ssList = field(rs, 'scopeSpans', 'scope_spans') ?? [];
    if (!Array.isArray(ssList)) throw new OtlpRequestError(`${rsPath}.scopeSpans: expected an array`);
    ssList.forEach((ss, s) => {
      const ssPath = `${rsPath}.scopeSpans[${s}]`;
      if (!isObj(ss)) throw new OtlpRequestError(`${ssPath}: expected an object`);
      const sc = field(ss, 'scope', 'scope');
      const scope = { name: isObj(sc) && typeof sc.name === 'string' ? sc.name : '', version: isObj(sc) && typeof sc.version === 'string' ? sc.version : '' };
      const spans = field(ss, 'spans', 'spans') ?? [];
      if (!Array.isArray(spans)) throw new OtlpRequestError(`${ssPath}.spans: expected an array`);
      spans.forEach((sp, i) => {
        const path = `${ssPath}.spans[${i}]`;
        try {
          out.spans.push(readSpan(sp, path, resource, scope));
        } catch (err) {
          if (!(err instanceof SpanProblem)) throw err;
          out.rejected.push({ path, reason: err.message });
        }
      });
    });
  });
  return out;
}

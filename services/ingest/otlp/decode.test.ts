import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeOtlpRequest } from '../../../test/helpers/otlp-protobuf.ts';
import { decodeJsonRequest } from './decode-json.ts';
import { decodeProtobufRequest } from './decode-protobuf.ts';
import { OtlpRequestError } from './otlp-span.ts';

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'eee19b7ec3c1b173';
// Past 2^53 ns: a start time a double cannot hold exactly.
const START = '1796407107640123456';
const END = '1796407108890623999';

const jsonRequest = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'support-bot' } }] },
      scopeSpans: [
        {
          scope: { name: 'openai-instrumentation', version: '1.2.0' },
          spans: [
            {
              traceId: TRACE.toUpperCase(),
              spanId: SPAN,
              parentSpanId: PARENT,
              name: 'chat gpt-4o',
              kind: 3,
              startTimeUnixNano: START,
              endTimeUnixNano: END,
              attributes: [
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: '1200' } },
                { key: 'big', value: { intValue: '9007199254740993' } },
                { key: 'ratio', value: { doubleValue: 0.25 } },
                { key: 'stream', value: { boolValue: true } },
                { key: 'gen_ai.response.finish_reasons', value: { arrayValue: { values: [{ stringValue: 'stop' }] } } },
                { key: 'nested', value: { kvlistValue: { values: [{ key: 'a', value: { intValue: 1 } }] } } },
              ],
              events: [{ name: 'exception', timeUnixNano: END, attributes: [{ key: 'exception.type', value: { stringValue: 'RateLimitError' } }] }],
              status: { code: 2, message: 'rate limited' },
            },
          ],
        },
      ],
    },
  ],
};

const protoRequest = {
  resource_spans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { string_value: 'support-bot' } }] },
      scope_spans: [
        {
          scope: { name: 'openai-instrumentation', version: '1.2.0' },
          spans: [
            {
              trace_id: Buffer.from(TRACE, 'hex'),
              span_id: Buffer.from(SPAN, 'hex'),
              parent_span_id: Buffer.from(PARENT, 'hex'),
              name: 'chat gpt-4o',
              kind: 3,
              start_time_unix_nano: START,
              end_time_unix_nano: END,
              attributes: [
                { key: 'gen_ai.request.model', value: { string_value: 'gpt-4o' } },
                { key: 'gen_ai.usage.input_tokens', value: { int_value: 1200 } },
                { key: 'big', value: { int_value: '9007199254740993' } },
                { key: 'ratio', value: { double_value: 0.25 } },
                { key: 'stream', value: { bool_value: true } },
                { key: 'gen_ai.response.finish_reasons', value: { array_value: { values: [{ string_value: 'stop' }] } } },
                { key: 'nested', value: { kvlist_value: { values: [{ key: 'a', value: { int_value: 1 } }] } } },
              ],
              events: [{ name: 'exception', time_unix_nano: END, attributes: [{ key: 'exception.type', value: { string_value: 'RateLimitError' } }] }],
              status: { code: 2, message: 'rate limited' },
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP decoding', () => {
  it('protobuf and JSON of the same request read the same span, exactly', () => {
    const fromJson = decodeJsonRequest(jsonRequest);
    const fromProto = decodeProtobufRequest(encodeOtlpRequest(protoRequest));
    assert.deepEqual(fromJson.rejected, []);
    assert.deepEqual(fromProto, fromJson);
    const [s] = fromJson.spans;
    assert.equal(s.path, 'resourceSpans[0].scopeSpans[0].spans[0]');
    assert.equal(s.traceId, TRACE, 'hex ids are lowercased');
    assert.equal(s.parentSpanId, PARENT);
    assert.equal(s.startNs, 1796407107640123456n, 'nanoseconds kept exactly');
    assert.equal(s.endNs - s.startNs, 1250500543n);
    assert.deepEqual(s.attributes, {
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 1200,
      big: '9007199254740993',
      ratio: 0.25,
      stream: true,
      'gen_ai.response.finish_reasons': ['stop'],
      nested: { a: 1 },
    });
    assert.deepEqual(s.status, { code: 2, message: 'rate limited' });
    assert.deepEqual(s.resource, { 'service.name': 'support-bot' });
    assert.deepEqual(s.scope, { name: 'openai-instrumentation', version: '1.2.0' });
    assert.equal(s.events[0].attributes['exception.type'], 'RateLimitError');
  });

  it('JSON: the proto names (snake_case) and enum names are read too', () => {
    const { spans } = decodeJsonRequest({
      resource_spans: [{ scope_spans: [{ spans: [{ trace_id: TRACE, span_id: SPAN, kind: 'SPAN_KIND_CLIENT', start_time_unix_nano: 1, status: { code: 'STATUS_CODE_ERROR' } }] }] }],
    });
    assert.equal(spans[0].kind, 3);
    assert.equal(spans[0].status.code, 2);
    assert.equal(spans[0].startNs, 1n);
  });

  it('JSON: a span with a field of the wrong type is rejected on its own, naming the field', () => {
    const out = decodeJsonRequest({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId: TRACE, spanId: SPAN, startTimeUnixNano: '-5' },
                { traceId: 42, spanId: SPAN },
                { traceId: TRACE, spanId: SPAN, startTimeUnixNano: '1', endTimeUnixNano: '2' },
                'not a span',
              ],
            },
          ],
        },
      ],
    });
    assert.equal(out.spans.length, 1);
    assert.equal(out.spans[0].path, 'resourceSpans[0].scopeSpans[0].spans[2]');
    assert.deepEqual(
      out.rejected.map((r) => r.reason),
      [
        'resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected unsigned nanoseconds since the epoch (a decimal string or integer), got "-5"',
        'resourceSpans[0].scopeSpans[0].spans[1].traceId: expected a string',
        'resourceSpans[0].scopeSpans[0].spans[3]: expected a span object',
      ],
    );
  });

  it('a body that is not an ExportTraceServiceRequest is an error naming why', () => {
    assert.throws(() => decodeJsonRequest([]), OtlpRequestError);
    assert.throws(() => decodeJsonRequest({ traces: [] }), /resourceSpans: missing/);
    assert.throws(() => decodeJsonRequest({ resourceSpans: {} }), /resourceSpans: expected an array/);
    assert.throws(() => decodeJsonRequest({ resourceSpans: [{ scopeSpans: 3 }] }), /resourceSpans\[0\]\.scopeSpans: expected an array/);
    assert.throws(() => decodeProtobufRequest(Buffer.from('{"resourceSpans":[]}')), /not a protobuf ExportTraceServiceRequest/);
    assert.throws(() => decodeProtobufRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])), OtlpRequestError, 'a length past the end');
  });

  it('an empty request is no spans, not an error', () => {
    assert.deepEqual(decodeJsonRequest({ resourceSpans: [] }), { spans: [], rejected: [] });
    assert.deepEqual(decodeProtobufRequest(new Uint8Array(0)), { spans: [], rejected: [] });
  });
});

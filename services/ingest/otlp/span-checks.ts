import type { OtlpSpan } from './otlp-span.ts';

/**
 * What OTLP says a span must be before it is stored: a 16-byte trace id and an 8-byte
 * span id, neither all zeros (hex: 32 and 16 digits), a parent id empty or 8 bytes, a
 * start time, and an end not before it. Within one request a span whose parent chain
 * loops back on itself (a cycle in parent ids) cannot be a tree: every span on the loop is
 * rejected. Returns the reason for each span that fails, by index.
 */
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

export function spanProblem(s: OtlpSpan): string | null {
  if (!HEX32.test(s.traceId) || s.traceId === ZERO32) return `${s.path}.traceId: expected 16 bytes, not all zero (32 hex digits in JSON), got ${describeId(s.traceId)}`;
  if (!HEX16.test(s.spanId) || s.spanId === ZERO16) return `${s.path}.spanId: expected 8 bytes, not all zero (16 hex digits in JSON), got ${describeId(s.spanId)}`;
  if (s.parentSpanId !== '' && (!HEX16.test(s.parentSpanId) || s.parentSpanId === ZERO16)) return `${s.path}.parentSpanId: expected empty or 8 bytes, got ${describeId(s.parentSpanId)}`;
  if (s.parentSpanId === s.spanId) return `${s.path}.parentSpanId: a span cannot be its own parent`;
  if (s.startNs === 0n) return `${s.path}.startTimeUnixNano: missing`;
  if (s.endNs !== 0n && s.endNs < s.startNs) return `${s.path}.endTimeUnixNano: before startTimeUnixNano`;
  return null;
}

function describeId(id: string): string {
  if (id === '') return 'none';
  return /^[0-9a-f]*$/.test(id) ? `${id.length / 2} bytes` : JSON.stringify(id.slice(0, 40));
}

/** Indexes of spans that lie on a cycle of parent ids (same trace, within the request). */
export function spansOnCycles(spans: readonly OtlpSpan[]): Set<number> {
  const byId = new Map<string, number>();
  spans.forEach((s, i) => byId.set(`${s.traceId}/${s.spanId}`, i));
  const state = new Uint8Array(spans.length); // 0 unseen, 1 on the current walk, 2 done
  const onCycle = new Set<number>();
  for (let start = 0; start < spans.length; start++) {
    if (state[start] !== 0) continue;
    const walk: number[] = [];
    let i: number | undefined = start;
    while (i !== undefined && state[i] === 0) {
      state[i] = 1;
      walk.push(i);
      const s: OtlpSpan = spans[i];
      i = s.parentSpanId === '' ? undefined : byId.get(`${s.traceId}/${s.parentSpanId}`);
    }
    if (i !== undefined && state[i] === 1) {
      // The walk came back to a span of its own: from there on it is the loop.
      for (let k = walk.indexOf(i); k < walk.length; k++) onCycle.add(walk[k]);
    }
    for (const k of walk) state[k] = 2;
  }
  return onCycle;
}

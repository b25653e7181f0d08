/**
 * Known traces for the query API tests, and a reference aggregator that computes from
 * the same rows what the rollups should answer (exact: costs in pico-USD as BigInt).
 * Timestamps are relative to now: the embedded engine applies TTLs at insert time.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../../../services/core/time.ts';
import type { GroupColumn } from '../../../services/query/params.ts';
import { floorTo } from '../../../services/query/time.ts';

export interface TraceFixture {
  trace_id: string;
  tsMs: number;
  model: string;
  provider: string;
  feature: string;
  prompt_version: string;
  environment: string;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** pico-USD; null = unpriced model. */
  costPico: bigint | null;
  clientCostPico: bigint | null;
  latency_ms: number;
  ttft_ms: number | null;
  status: 'ok' | 'error';
}

export const UNPRICED_MODEL = 'mystery-model-x';

/** An hour boundary three hours ago: every fixture lies in [BASE, BASE + 2h). */
export function fixtureBase(now = Date.now()): number {
  return floorTo(now, HOUR_MS) - 3 * HOUR_MS;
}

export function clickhouseTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** pico-USD → Decimal(18,12) text as the writer sends it (12 fraction digits). */
export function picoToDecimal12(pico: bigint): string {
  const neg = pico < 0n;
  const abs = neg ? -pico : pico;
  const s = abs.toString().padStart(13, '0');
  return `${neg ? '-' : ''}${s.slice(0, -12)}.${s.slice(-12)}`;
}

/** pico-USD → ClickHouse's toString(Decimal): no trailing zeros, '0' for zero. */
export function picoToClickHouseText(pico: bigint): string {
  return picoToDecimal12(pico).replace(/\.?0+$/, '') || '0';
}

export function toRow(t: TraceFixture): Record<string, unknown> {
  const cost = t.costPico;
  return {
    trace_id: t.trace_id,
    ts: clickhouseTime(t.tsMs),
    model: t.model,
    provider: t.provider,
    feature: t.feature,
    prompt_version: t.prompt_version,
    environment: t.environment,
    input_tokens: t.input_tokens,
    output_tokens: t.output_tokens,
    cached_input_tokens: t.cached_input_tokens,
    cache_write_tokens: t.cache_write_tokens,
    reasoning_tokens: t.reasoning_tokens,
    cost_usd: cost === null ? null : picoToDecimal12(cost),
    client_cost_usd: t.clientCostPico === null ? null : picoToDecimal12(t.clientCostPico),
    input_cost_usd: picoToDecimal12(cost === null ? 0n : cost / 2n),
    cache_read_cost_usd: picoToDecimal12(0n),
    cache_write_cost_usd: picoToDecimal12(0n),
    output_cost_usd: picoToDecimal12(cost === null ? 0n : cost - cost / 2n),
    reasoning_cost_usd: picoToDecimal12(0n),
    pricing_status: cost === null ? 'unpriced' : 'priced',
    priced_model: cost === null ? '' : t.model,
    price_version: cost === null ? '' : 'test-1',
    latency_ms: t.latency_ms,
    time_to_first_token_ms: t.ttft_ms,
    status: t.status,
    error_type: t.status === 'error' ? 'rate_limit' : '',
    finish_reason: t.status === 'error' ? '' : 'stop',
    user_id: 'u1',
    session_id: 's1',
    system_prompt_hash: 'h1',
    input: `prompt of ${t.trace_id}`,
    output: `answer of ${t.trace_id}`,
    metadata: { tenant: 'acme', trace: t.trace_id },
    received_at: clickhouseTime(t.tsMs + 5),
    source_partition: 0,
    source_offset: 0,
  };
}

const FEATURES = ['chat', 'search', 'summarize'];
const MODELS: [string, string][] = [
  ['gpt-4o', 'openai'],
  ['claude-3-5-sonnet', 'anthropic'],
  [UNPRICED_MODEL, 'acme-ai'],
];
const PROMPTS = ['v1', 'v2'];
const ENVS = ['prod', 'staging'];

/**
 * 48 mixed traces over two hours (two per minute used, every dimension combination
 * represented), then a latency probe: feature `latency-probe`, 1000 calls with
 * latency 1..1000 ms spread over 50 minutes, TTFT only on even latencies.
 */
export function buildFixtures(base: number): TraceFixture[] {
  const out: TraceFixture[] = [];
  for (let i = 0; i < 48; i++) {
    const [model, provider] = MODELS[i % 3];
    const unpriced = model === UNPRICED_MODEL;
    // pairs share a minute; minutes 0, 5, …, 115 cover both hours
    const minute = Math.floor(i / 2) * 5;
    out.push({
      trace_id: `t-${String(i).padStart(3, '0')}`,
      tsMs: base + minute * MINUTE_MS + (i % 2) * 7_000 + i,
      model,
      provider,
      feature: FEATURES[(i + Math.floor(i / 3)) % 3], // every model with every feature
      prompt_version: PROMPTS[Math.floor(i / 3) % 2],
      environment: ENVS[Math.floor(i / 6) % 2],
      input_tokens: 1000 + i * 10,
      output_tokens: 200 + i,
      cached_input_tokens: i % 4 === 0 ? 300 : 0,
      cache_write_tokens: i % 5 === 0 ? 50 : 0,
      reasoning_tokens: model === 'gpt-4o' ? 20 : 0,
      costPico: unpriced ? null : BigInt(250_000_000 + i * 1_234_567_891),
      clientCostPico: i % 3 === 1 ? BigInt(300_000_000 + i) : null,
      latency_ms: 100 + i * 13,
      ttft_ms: i % 2 === 0 ? 40 + i : null,
      status: i % 7 === 3 ? 'error' : 'ok',
    });
  }
  for (let v = 1; v <= 1000; v++) {
    out.push({
      trace_id: `probe-${v}`,
      tsMs: base + HOUR_MS + (v % 50) * MINUTE_MS + v,
      model: 'gpt-4o',
      provider: 'openai',
      feature: 'latency-probe',
      prompt_version: 'v1',
      environment: 'prod',
      input_tokens: 10,
      output_tokens: 5,
      cached_input_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      costPico: 1_000_000n,
      clientCostPico: null,
      latency_ms: v,
      ttft_ms: v % 2 === 0 ? v : null,
      status: 'ok',
    });
  }
  return out;
}

export interface ExpectedGroup {
  bucketMs: number | null;
  dims: Partial<Record<GroupColumn, string>>;
  requests: number;
  errors: number;
  unpriced: number;
  costPico: bigint;
  clientCostPico: bigint;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  latencySum: number;
  latencyMax: number;
}

const STEP: Record<string, number> = { minute: MINUTE_MS, hour: HOUR_MS, day: DAY_MS };

/** What a metrics query should return, from the raw fixtures; keyed `bucket|dim values`. */
export function expectedGroups(
  rows: readonly TraceFixture[],
  opts: { interval: 'minute' | 'hour' | 'day' | 'none'; groupBy: GroupColumn[]; filter?: (t: TraceFixture) => boolean },
): Map<string, ExpectedGroup> {
  const out = new Map<string, ExpectedGroup>();
  for (const t of rows) {
    if (opts.filter && !opts.filter(t)) continue;
    const bucketMs = opts.interval === 'none' ? null : floorTo(t.tsMs, STEP[opts.interval]);
    const dims: Partial<Record<GroupColumn, string>> = {};
    for (const g of opts.groupBy) dims[g] = t[g];
    const key = groupKey(bucketMs, dims, opts.groupBy);
    let e = out.get(key);
    if (!e) {
      e = {
        bucketMs, dims, requests: 0, errors: 0, unpriced: 0, costPico: 0n, clientCostPico: 0n,
        input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0,
        latencySum: 0, latencyMax: 0,
      };
      out.set(key, e);
    }
    e.requests++;
    if (t.status === 'error') e.errors++;
    if (t.costPico === null) e.unpriced++;
    e.costPico += t.costPico ?? 0n;
    e.clientCostPico += t.clientCostPico ?? 0n;
    e.input_tokens += t.input_tokens;
    e.output_tokens += t.output_tokens;
    e.cached_input_tokens += t.cached_input_tokens;
    e.cache_write_tokens += t.cache_write_tokens;
    e.reasoning_tokens += t.reasoning_tokens;
    e.latencySum += t.latency_ms;
    e.latencyMax = Math.max(e.latencyMax, t.latency_ms);
  }
  return out;
}

export function groupKey(bucketMs: number | null, dims: Partial<Record<GroupColumn, string>>, groupBy: readonly GroupColumn[]): string {
  return [bucketMs === null ? '-' : new Date(bucketMs).toISOString(), ...groupBy.map((g) => dims[g] ?? '')].join('|');
}

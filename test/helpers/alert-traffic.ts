import { prng as mulberry32 } from '../../scripts/lib/prng.ts';
/**
 * Deterministic per-minute trace traffic for the alerting end-to-end tests: a few
 * features on one priced model with prompt caching, noisy counts and token sizes. The
 * injected incident is a prompt-cache miss on one feature: the same tokens, ~3.4× the
 * cost (cache reads cost an eighth of fresh input on claude-3-haiku), so cost jumps while
 * tokens per request and traffic do not.
 */
export const TRAFFIC_FEATURES = ['support-chat', 'search', 'summarize'] as const;
export const TRAFFIC_MODEL = 'claude-3-haiku-20240307';

export interface TrafficOptions {
  perMinute?: number;
  /** Whether a feature's prompt cache misses in a minute (the cost spike). */
  cacheMiss?: (feature: string, minute: number) => boolean;
}

/** The events of one minute (timestamps inside it), the same for the same minute. */
export function minuteEvents(minute: number, opts: TrafficOptions = {}): Record<string, unknown>[] {
  const rand = mulberry32(Math.floor(minute / 60_000));
  const perMinute = opts.perMinute ?? 20;
  const out: Record<string, unknown>[] = [];
  for (const feature of TRAFFIC_FEATURES) {
    const n = perMinute - 3 + Math.floor(rand() * 7);
    const miss = opts.cacheMiss?.(feature, minute) ?? false;
    for (let i = 0; i < n; i++) {
      const input = Math.round(3800 + rand() * 400);
      out.push({
        trace_id: `${feature}-${minute}-${i}`,
        timestamp: minute + Math.floor((i * 59_000) / n),
        model: TRAFFIC_MODEL,
        feature,
        input_tokens: input,
        cached_input_tokens: miss ? 0 : Math.round(input * 0.9),
        output_tokens: Math.round(80 + rand() * 40),
        latency_ms: Math.round(400 + rand() * 300),
        status: 'ok',
      });
    }
  }
  return out;
}

/** POSTs the events of `minutes` to an ingest URL in requests of at most 1,000; returns how many were accepted. */
export async function sendMinutes(apiUrl: string, minutes: number[], opts: TrafficOptions = {}): Promise<number> {
  const events = minutes.flatMap((m) => minuteEvents(m, opts));
  for (let i = 0; i < events.length; i += 1000) {
    const res = await fetch(`${apiUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ traces: events.slice(i, i + 1000) }) });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  }
  return events.length;
}

/** The minute starts of [from, to). */
export function minutesBetween(from: number, to: number): number[] {
  const out: number[] = [];
  for (let m = from; m < to; m += 60_000) out.push(m);
  return out;
}

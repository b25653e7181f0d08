/**
 * Section 7 — overload: open loop at `factor`× the rate section 2 sustained, for
 * --overload-seconds. Each tick sends one request of --batch events with trace_ids unique
 * to that request (a pre-built body with its id tag swapped, so the generator stays cheap);
 * the answers are tallied (2xx, 503 overloaded with Retry-After, anything else), and
 * afterwards `traces` must hold exactly the events that were answered 2xx (plus what was
 * stored before), each once. The pipeline's peak RSS over the phase is its memory bound.
 */
import type { BenchOptions } from './args.ts';
import { countsAre, rowCounts, type ChTarget } from './ch.ts';
import { benchEvents, requestBodies } from './events.ts';
import { progress, sleep } from './proc.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface OverloadResult {
  factor: number;
  targetEventsPerS: number;
  seconds: number;
  requests: number;
  accepted: { requests: number; events: number };
  /** 503 `overloaded`, each with a Retry-After header. */
  refused: { requests: number; withoutRetryAfter: number };
  /** 503 `unavailable` (ack timeout): may or may not have been stored. */
  timedOut: { requests: number; events: number };
  other: { requests: number; sample: string[] };
  /** 2xx events per second over the phase: what the pipeline stored while overloaded. */
  goodputEventsPerS: number;
  ack2xx: LatencySummary;
  refusal: LatencySummary;
  exact: boolean;
  stored: number;
  expectedStored: number;
  pipelinePeakRssMiB: number;
}

const TAG = 'QQQQQQQQ';

export async function overload(opts: BenchOptions, api: string, ch: ChTarget, sustainedEventsPerS: number, alreadyStored: number, peakRss: () => number): Promise<OverloadResult> {
  const factor = opts.overloadFactor;
  const targetEventsPerS = sustainedEventsPerS * factor;
  const batch = opts.batch;
  const [template] = requestBodies(benchEvents(batch, { seed: opts.seed + 3, idPrefix: TAG, spreadMs: 60_000 }), batch).bodies;
  const parts = template.split(TAG);
  if (parts.length !== batch + 1) throw new Error(`overload: the id tag appears ${parts.length - 1} times in a body of ${batch} events`);
  const intervalMs = (batch / targetEventsPerS) * 1000;
  const requests = Math.max(1, Math.round((opts.overloadSeconds * 1000) / intervalMs));
  const r: OverloadResult = {
    factor,
    targetEventsPerS: Math.round(targetEventsPerS),
    seconds: 0,
    requests: 0,
    accepted: { requests: 0, events: 0 },
    refused: { requests: 0, withoutRetryAfter: 0 },
    timedOut: { requests: 0, events: 0 },
    other: { requests: 0, sample: [] },
    goodputEventsPerS: 0,
    ack2xx: summarize([]),
    refusal: summarize([]),
    exact: false,
    stored: 0,
    expectedStored: 0,
    pipelinePeakRssMiB: 0,
  };
  const acks: number[] = [];
  const refusals: number[] = [];
  const inflight = new Set<Promise<void>>();
  // The loader's own bound, far above what an admitting pipeline keeps open.
  const MAX_INFLIGHT = 1024;

  const one = async (i: number) => {
    const body = parts.join(`ov${i.toString(36).padStart(6, '0')}`);
    const sentAt = performance.now();
    const res = await fetch(`${api}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch((err: Error) => err);
    const took = performance.now() - sentAt;
    if (res instanceof Error) {
      r.other.requests++;
      if (r.other.sample.length < 3) r.other.sample.push(res.message);
      return;
    }
    const text = await res.text();
    let error = '';
    try {
      error = (JSON.parse(text) as { error?: string }).error ?? '';
    } catch {}
    if (res.status === 202) {
      r.accepted.requests++;
      r.accepted.events += batch;
      acks.push(took);
    } else if (res.status === 503 && error === 'overloaded') {
      r.refused.requests++;
      if (!res.headers.get('retry-after')) r.refused.withoutRetryAfter++;
      refusals.push(took);
    } else if (res.status === 503 && error === 'unavailable') {
      r.timedOut.requests++;
      r.timedOut.events += batch;
    } else {
      r.other.requests++;
      if (r.other.sample.length < 3) r.other.sample.push(`${res.status} ${text.slice(0, 120)}`);
    }
  };

  const t0 = performance.now();
  for (let i = 0; i < requests; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    while (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight);
    const p = one(i).finally(() => inflight.delete(p));
    inflight.add(p);
    r.requests++;
    if (i % 20 === 0) {
      const secs = (performance.now() - t0) / 1000;
      progress(`overload: ${i + 1}/${requests} requests at ${Math.round(targetEventsPerS)} events/s (${factor}×), ${r.accepted.events} events accepted (${Math.round(r.accepted.events / secs)}/s), ${r.refused.requests} refused, ${inflight.size} open`);
    }
  }
  await Promise.all(inflight);
  r.seconds = Math.round(((performance.now() - t0) / 1000) * 100) / 100;
  r.goodputEventsPerS = Math.round(r.accepted.events / r.seconds);
  r.ack2xx = summarize(acks);
  r.refusal = summarize(refusals);
  r.pipelinePeakRssMiB = peakRss();

  // Exactly the 2xx'd events, once; timed-out ones may land late, so wait for the lower
  // bound and accept anything up to both.
  r.expectedStored = alreadyStored + r.accepted.events;
  let counts = await rowCounts(ch);
  for (let i = 0; counts.traces < r.expectedStored && i < 120; i++) {
    await sleep(250);
    counts = await rowCounts(ch);
  }
  if (r.timedOut.events > 0) await sleep(2_000);
  counts = await rowCounts(ch);
  r.stored = counts.traces;
  r.exact = r.timedOut.events === 0 ? countsAre(counts, r.expectedStored) : counts.traces >= r.expectedStored && counts.traces <= r.expectedStored + r.timedOut.events;
  return r;
}

import { createHash } from 'node:crypto';
import { HOUR_MS } from '../core/time.ts';

/**
 * Which traces a rule evaluates. Two parts:
 *
 * 1. Rate (stateless, exact, replay-stable): u = first 8 bytes of sha256(rule name ‖ 0x00 ‖
 *    trace_id) read as an unsigned 64-bit integer / 2^64, uniform in [0, 1); the trace is
 *    sampled iff u < sample_rate. The same (rule, trace) always gets the same answer, in
 *    every process, on every replay; over many ids the sampled share converges to the rate.
 *    A rule's sample is independent of other rules' (the rule name is in the hash).
 *
 * 2. Stratum minimum (stateful, in memory): per rule and (feature, prompt_version), at
 *    least `stratum_min_per_hour` traces per UTC hour of the *trace's timestamp* are
 *    evaluated — the rate-sampled ones count, and while a stratum is below its minimum
 *    its other traces are taken too. So a new prompt version at low traffic is evaluated
 *    from its first traces. The counts live in this process only: after a restart (or a
 *    replay in the same process) the minimum may be exceeded — never undershot — and
 *    the rate part is unaffected. Counts are kept for the last `keepHours` hours seen.
 */
export type SampleReason = 'rate' | 'stratum_min';

export interface SamplingRule {
  name: string;
  sample_rate: number;
  stratum_min_per_hour: number;
}

export interface SamplingTrace {
  trace_id: string;
  feature: string;
  prompt_version: string;
  /** Trace timestamp, ms since epoch. */
  timestamp: number;
}

const TWO_POW_32 = 2 ** 32;

/** Deterministic uniform number in [0, 1) for (rule, trace_id). */
export function sampleUnit(rule: string, traceId: string): number {
  const h = createHash('sha256').update(rule).update('\u0000').update(traceId).digest();
  // hi·2^32 + lo over 2^64; a double keeps the top 53 bits, plenty for a rate.
  return (h.readUInt32BE(0) * TWO_POW_32 + h.readUInt32BE(4)) / (TWO_POW_32 * TWO_POW_32);
}

export function rateSampled(rule: string, traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return sampleUnit(rule, traceId) < rate;
}

export interface StratumSampler {
  /** Decide for one trace; updates the stratum counts when it is sampled. */
  decide(rule: SamplingRule, trace: SamplingTrace): SampleReason | null;
  /** Evaluations counted for a stratum in the hour of `timestamp`. */
  count(rule: string, feature: string, promptVersion: string, timestamp: number): number;
  /** Number of (rule, stratum, hour) counters held. */
  size(): number;
}

export function createSampler(options: { keepHours?: number } = {}): StratumSampler {
  const keepHours = options.keepHours ?? 48;
  const counts = new Map<string, number>(); // `${hour}\0${rule}\0${feature}\0${prompt_version}`
  let newestHour = Number.NEGATIVE_INFINITY;
  const keyOf = (rule: string, feature: string, pv: string, hour: number) => `${hour}\u0000${rule}\u0000${feature}\u0000${pv}`;

  function prune(): void {
    for (const key of counts.keys()) {
      if (Number(key.slice(0, key.indexOf('\u0000'))) < newestHour - keepHours) counts.delete(key);
    }
  }

  return {
    decide(rule, trace) {
      const byRate = rateSampled(rule.name, trace.trace_id, rule.sample_rate);
      if (rule.stratum_min_per_hour <= 0) return byRate ? 'rate' : null;
      const hour = Math.floor(trace.timestamp / HOUR_MS);
      if (hour > newestHour) {
        newestHour = hour;
        prune();
      }
      const key = keyOf(rule.name, trace.feature, trace.prompt_version, hour);
      const n = counts.get(key) ?? 0;
      if (byRate) {
        counts.set(key, n + 1);
        return 'rate';
      }
      if (n < rule.stratum_min_per_hour) {
        counts.set(key, n + 1);
        return 'stratum_min';
      }
      return null;
    },
    count: (rule, feature, pv, timestamp) => counts.get(keyOf(rule, feature, pv, Math.floor(timestamp / HOUR_MS))) ?? 0,
    size: () => counts.size,
  };
}

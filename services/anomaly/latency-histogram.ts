/**
 * A small mergeable latency histogram for per-minute quantiles (p95), in the style of
 * DDSketch: logarithmic buckets of ratio γ = (1 + α) / (1 − α) with α = 1 %, so any
 * quantile is returned within ±1 % of a value of the right rank, whatever the range
 * (0.1 ms or 10 minutes), and histograms merge by adding counts: the
 * (feature, *) and (*, *) roll-ups are merges of the (feature, model) histograms, with
 * no loss beyond the bucket width. Exact min and max are kept so q = 0 / q = 1 and
 * single-value histograms are exact.
 */
export interface LatencyHistogram {
  /** Add one latency in ms (negative or non-finite values are ignored; 0 counts in a zero bucket). */
  add(ms: number): void;
  /** Add another histogram's counts into this one; returns this. */
  merge(other: LatencyHistogram): LatencyHistogram;
  /** The q-quantile (0..1, nearest rank), NaN when empty. */
  quantile(q: number): number;
  readonly count: number;
  /** Internal, for merge: counts of buckets lo .. lo + counts.length − 1, zero count, min, max. */
  readonly lo: number;
  readonly counts: Uint32Array;
  readonly zeros: number;
  readonly min: number;
  readonly max: number;
}

/** Relative accuracy of a returned quantile. */
export const LATENCY_HISTOGRAM_ALPHA = 0.01;
const GAMMA = (1 + LATENCY_HISTOGRAM_ALPHA) / (1 - LATENCY_HISTOGRAM_ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this many ms share the zero bucket (sub-microsecond latencies are noise). */
const ZERO_BELOW = 1e-3;
const EMPTY = new Uint32Array(0);

const indexOf = (ms: number): number => Math.ceil(Math.log(ms) / LOG_GAMMA);
/** Representative value of bucket i (covering (γ^(i−1), γ^i]): within α of every value in it. */
const valueOf = (i: number): number => (2 * Math.pow(GAMMA, i)) / (GAMMA + 1);

/**
 * Buckets live in one dense Uint32Array covering only the range of indices seen so far
 * (first 128 buckets around the first value, a factor ~12 of latency; grown on demand):
 * add / merge / quantile are array walks, no hashing or sorting. The whole range (1 µs to
 * a day) is ~1 250 buckets, 5 KB at most.
 */
class LogHistogram implements LatencyHistogram {
  counts: Uint32Array = EMPTY;
  lo = 0;
  zeros = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  /** Make bucket indices [from, to] addressable. */
  private cover(from: number, to: number): void {
    if (this.counts.length === 0) {
      const width = Math.max(128, to - from + 1);
      this.lo = from - ((width - (to - from + 1)) >> 1);
      this.counts = new Uint32Array(width);
      return;
    }
    const lo = this.lo;
    const hi = lo + this.counts.length - 1;
    if (from >= lo && to <= hi) return;
    // grow with slack on the growing side to amortise
    const slack = Math.max(32, this.counts.length >> 1);
    const start = from < lo ? from - slack : lo;
    const end = to > hi ? to + slack : hi;
    const next = new Uint32Array(end - start + 1);
    next.set(this.counts, lo - start);
    this.counts = next;
    this.lo = start;
  }

  add(ms: number): void {
    if (!(ms >= 0) || ms === Infinity) return;
    this.count++;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
    if (ms <= ZERO_BELOW) {
      this.zeros++;
      return;
    }
    const i = indexOf(ms);
    if (i < this.lo || i >= this.lo + this.counts.length) this.cover(i, i);
    this.counts[i - this.lo]++;
  }

  merge(other: LatencyHistogram): LatencyHistogram {
    if (other.count === 0) return this;
    const oc = other.counts;
    // the other's used range only (its array has slack)
    let a = 0;
    let b = oc.length - 1;
    while (a <= b && oc[a] === 0) a++;
    while (b >= a && oc[b] === 0) b--;
    if (a <= b) {
      this.cover(other.lo + a, other.lo + b);
      const off = other.lo - this.lo;
      const counts = this.counts;
      for (let i = a; i <= b; i++) counts[i + off] += oc[i];
    }
    this.zeros += other.zeros;
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  quantile(q: number): number {
    if (this.count === 0 || !(q >= 0 && q <= 1)) return NaN;
    if (q === 0) return this.min;
    if (q === 1) return this.max;
    // nearest rank: the smallest value with at least ceil(q·n) values at or below it
    const rank = Math.max(1, Math.ceil(q * this.count));
    if (rank <= this.zeros) return Math.max(this.min, 0);
    let seen = this.zeros;
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i + this.lo)));
    }
    return this.max;
  }
}

export function createLatencyHistogram(): LatencyHistogram {
  return new LogHistogram();
}

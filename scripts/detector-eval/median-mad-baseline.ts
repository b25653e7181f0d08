/**
 * The plain baseline the issue compares against: median and MAD of the previous 1,440
 * points (points with data, anomalous ones included), flag |value − median| / (1.4826·MAD)
 * > 6. With MAD 0 (a flat window) any value different from the median is flagged.
 * Kept as a sorted window (binary insert / remove) and the MAD by a two-pointer walk
 * outward from the median, so 3 M points take seconds.
 */
export function medianMadFlags(values: readonly (number | null)[], window = 1440, limit = 6): Uint8Array {
  const out = new Uint8Array(values.length);
  const sorted: number[] = [];
  const fifo: number[] = [];
  const lowerBound = (x: number): number => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
      const m = (lo + hi) >> 1;
      if (sorted[m] < x) lo = m + 1;
      else hi = m;
    }
    return lo;
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) continue;
    const n = sorted.length;
    if (n >= 30) {
      const med = n & 1 ? sorted[n >> 1] : (sorted[(n >> 1) - 1] + sorted[n >> 1]) / 2;
      // k-th smallest |x − med|, k = n/2, walking outward from the median
      const k = Math.max(1, n >> 1);
      let lo = lowerBound(med) - 1;
      let hi = lo + 1;
      let d = 0;
      for (let taken = 0; taken < k; taken++) {
        const dl = lo >= 0 ? med - sorted[lo] : Infinity;
        const dh = hi < n ? sorted[hi] - med : Infinity;
        if (dl <= dh) { d = dl; lo--; } else { d = dh; hi++; }
      }
      const scale = 1.4826 * d;
      const dev = Math.abs(v - med);
      if (scale > 0 ? dev / scale > limit : dev > 0) out[i] = 1;
    }
    sorted.splice(lowerBound(v), 0, v);
    fifo.push(v);
    if (fifo.length > window) sorted.splice(lowerBound(fifo.shift()!), 1);
  }
  return out;
}

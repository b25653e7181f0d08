/**
 * Small numeric helpers of the detectors: medians over Float32Array ring windows
 * (quickselect on a reused scratch buffer, no allocation per call) and the normal
 * quantile used to turn tail probabilities into z scores.
 */

let scratch = new Float64Array(256);

/** Copy the finite values of ring slots [from, to] (inclusive slot numbers, every `stride`-th) into the scratch buffer; returns how many. */
export function gatherRing(ring: Float32Array, from: number, to: number, stride = 1): number {
  const cap = ring.length;
  const need = Math.floor((to - from) / stride) + 1;
  if (need <= 0) return 0;
  if (need > scratch.length) scratch = new Float64Array(Math.max(need, scratch.length * 2));
  let n = 0;
  let i = ((from % cap) + cap) % cap;
  for (let k = 0; k < need; k++) {
    const v = ring[i];
    if (v === v) scratch[n++] = v; // skip NaN
    i += stride;
    if (i >= cap) i -= cap;
  }
  return n;
}

/** Mean and count of the finite values of ring slots [from, to]. */
export function ringMean(ring: Float32Array, from: number, to: number): { mean: number; n: number } {
  const cap = ring.length;
  let i = ((from % cap) + cap) % cap;
  let sum = 0;
  let n = 0;
  for (let s = from; s <= to; s++) {
    const v = ring[i];
    if (v === v) {
      sum += v;
      n++;
    }
    if (++i === cap) i = 0;
  }
  return { mean: n > 0 ? sum / n : NaN, n };
}

/** Gather finite values of a plain window (e.g. a residual ring) into the scratch buffer, optionally as absolute values. */
export function gatherArray(values: Float32Array, count: number, absolute: boolean): number {
  if (count > scratch.length) scratch = new Float64Array(Math.max(count, scratch.length * 2));
  let n = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v === v) scratch[n++] = absolute ? Math.abs(v) : v;
  }
  return n;
}

/** Median of the first n scratch values (reorders them). */
export function scratchMedian(n: number): number {
  if (n === 0) return NaN;
  const mid = n >> 1;
  const hi = select(scratch, n, mid);
  if (n & 1) return hi;
  let lo = -Infinity;
  for (let i = 0; i < mid; i++) if (scratch[i] > lo) lo = scratch[i];
  return (lo + hi) / 2;
}

/** Median absolute deviation from `center` of the first n scratch values (reorders them). */
export function scratchMad(n: number, center: number): number {
  for (let i = 0; i < n; i++) scratch[i] = Math.abs(scratch[i] - center);
  return scratchMedian(n);
}

/** k-th smallest of a[0..n) (Hoare quickselect, in place). */
function select(a: Float64Array, n: number, k: number): number {
  let left = 0;
  let right = n - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k];
  }
  return a[k];
}

/** Median of an ordinary array (tests, small inputs). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Standard normal quantile Φ⁻¹(p) (Acklam's rational approximation, relative error
 * < 1.2e-9), used to express tail probabilities as z scores. Saturates at ±38.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0)) return -38;
  if (!(p < 1)) return 38;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** z of an upper-tail probability P(X ≥ x) = p: large positive when p is tiny. Uses −Φ⁻¹(p) to keep precision for tiny p. */
export function zOfUpperTail(p: number): number {
  return -normalQuantile(Math.min(Math.max(p, 1e-300), 1));
}

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

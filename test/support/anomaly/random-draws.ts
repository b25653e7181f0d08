import { prng } from '../../../scripts/lib/prng.ts';

/** Deterministic PRNG for the detector tests. */
export const rng = prng;

export function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export function poisson(r: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r();
  } while (p > l);
  return k - 1;
}

export function binomial(r: () => number, n: number, p: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) if (r() < p) x++;
  return x;
}

/**
 * Shannon entropy in bits per character. Random API keys score close to the maximum
 * for their length; identifiers, paths and words repeat characters and score lower,
 * which is what lets the generic secret rule tell them apart.
 */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const freq = new Map<string, number>();
  for (const ch of s) freq.set(ch, (freq.get(ch) ?? 0) + 1);
  const n = [...s].length;
  let h = 0;
  for (const c of freq.values()) {
    const p = c / n;
    h -= p * Math.log2(p);
  }
  return h;
}

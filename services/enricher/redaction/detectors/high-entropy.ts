import { shannonEntropy } from '../entropy.ts';

/**
 * The generic "looks like a random key" test for a base64/base64url run of 32–1024
 * characters (padding excluded). All must hold:
 * - upper-case letters, lower-case letters and digits all occur — this is what keeps
 *   hex out: git SHAs, SHA-256 digests, trace ids and UUIDs are single-case and are
 *   never redacted by this rule (hex credentials are caught by the key-assignment rule);
 * - Shannon entropy ≥ 0.8 · log2(min(length, 64)) bits per character;
 * - the character class (upper/lower/digit/symbol) changes at ≥ 40 % of positions —
 *   CamelCase identifiers change far less often;
 * - < 40 % of the characters sit in runs of ≥ 4 lower-case letters (words);
 * - not path-like: not ≥ 5 segments split by `/ + _ -` that are all shorter than 12.
 * Runs over 1024 characters are treated as data (inline images, embeddings), not keys.
 * Measured on random keys: ~1–2 % of 32-character keys slip through, < 0.1 % of 100+.
 */
export function looksLikeRandomKey(run: string): boolean {
  const s = run.replace(/=+$/, '');
  if (s.length < 32 || s.length > 1024) return false;
  if (!/[A-Z]/.test(s) || !/[a-z]/.test(s) || !/\d/.test(s)) return false;
  if (shannonEntropy(s) < 0.8 * Math.log2(Math.min(s.length, 64))) return false;
  if (classChangeRatio(s) < 0.4) return false;
  if (wordFraction(s) >= 0.4) return false;
  return !pathLike(s);
}

function charClass(code: number): number {
  if (code >= 65 && code <= 90) return 0;
  if (code >= 97 && code <= 122) return 1;
  if (code >= 48 && code <= 57) return 2;
  return 3;
}

function classChangeRatio(s: string): number {
  let changes = 0;
  for (let i = 1; i < s.length; i++) if (charClass(s.charCodeAt(i)) !== charClass(s.charCodeAt(i - 1))) changes++;
  return changes / (s.length - 1);
}

function wordFraction(s: string): number {
  let inWords = 0;
  for (const m of s.matchAll(/[a-z]{4,}/g)) inWords += m[0].length;
  return inWords / s.length;
}

function pathLike(s: string): boolean {
  const segments = s.split(/[/+_-]/);
  return segments.length >= 5 && segments.every((seg) => seg.length < 12);
}

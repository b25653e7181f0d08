/**
 * For grouped numbers (`4111 1111 1111 1111`, `DE89 3704 0044 …`) a regex may swallow a
 * trailing group that belongs to the surrounding text (`… 1111 2024`, `… 00 and`).
 * Returns the end offset of the longest run of leading groups whose compact form passes
 * `valid`, or null. Groups are maximal runs of characters other than `separators`.
 */
export function longestValidGroupPrefix(match: string, separators: RegExp, valid: (compact: string) => boolean): number | null {
  const ends: number[] = [];
  for (let i = 0; i < match.length; i++) {
    const isSep = separators.test(match[i]);
    const nextIsSep = i + 1 < match.length && separators.test(match[i + 1]);
    if (!isSep && (i + 1 === match.length || nextIsSep)) ends.push(i + 1);
  }
  for (let g = ends.length - 1; g >= 0; g--) {
    const end = ends[g];
    if (valid(match.slice(0, end).replace(new RegExp(separators.source, 'g'), ''))) return end;
  }
  return null;
}

/**
 * Filter globs: `*` matches any run of characters (also none), `?` exactly one, every
 * other character itself; case-sensitive, anchored. A list matches when any entry does;
 * an absent filter matches everything.
 */
export type Glob = string | readonly string[];

export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 's');
}

export function compileGlob(glob: Glob | undefined): (value: string) => boolean {
  if (glob === undefined) return () => true;
  const list = typeof glob === 'string' ? [glob] : glob;
  if (list.includes('*')) return () => true;
  const exact = new Set(list.filter((g) => !/[*?]/.test(g)));
  const patterns = list.filter((g) => /[*?]/.test(g)).map(globToRegExp);
  return (value) => exact.has(value) || patterns.some((re) => re.test(value));
}

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

/**
 * The house rules of `services/`, as a pure check over (path → source text):
 * - `services/core/**` is the shared floor: it imports only itself;
 * - every other folder `services/<name>/` is one service: its code imports only `core`
 *   and its own folder (its unit tests may also use `test/` and `scripts/lib/`);
 * - only the entries (`services/all-in-one/`, `services/service-main.ts`) compose services;
 * - production code never imports `test/` or `scripts/`;
 * - test support lives under `test/`: a file under `services/` that is not a test must be
 *   reachable from the entries or the scripts through imports (production code), not
 *   used by tests alone.
 */
export interface Violation {
  file: string;
  rule: 'service-imports-service' | 'core-imports-service' | 'production-imports-tests' | 'test-support-under-services';
  detail: string;
}

const ENTRIES = new Set(['services/service-main.ts', 'services/all-in-one/main.ts']);
const isTest = (f: string) => f.endsWith('.test.ts');
const isUnder = (f: string, dir: string) => f === dir || f.startsWith(`${dir}/`);
/** `services/<name>` of a path under services/, else null. */
function serviceOf(f: string): string | null {
  const parts = f.split('/');
  if (parts[0] !== 'services' || parts.length < 3) return null;
  return `services/${parts[1]}`;
}
const isComposer = (f: string) => f === 'services/service-main.ts' || isUnder(f, 'services/all-in-one');

// Static `import … from '…'`, `export … from '…'`, side-effect `import '…'` and dynamic `import('…')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|(?:^|;)\s*import\s+)(['"])(\.{1,2}\/[^'"\n]+)\1/gm;

/** Relative imports of one file, as repository paths. */
export function importsOf(file: string, source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(SPECIFIER)) out.push(normalize(join(dirname(file), m[2])).split(sep).join('/'));
  return out;
}

export function findViolations(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [file, source] of files) {
    for (const target of importsOf(file, source)) {
      if (!isUnder(file, 'services') || isComposer(file)) continue;
      const own = serviceOf(file);
      if (isUnder(target, 'test') || isUnder(target, 'scripts')) {
        const allowedForTests = isTest(file) && (isUnder(target, 'test') || isUnder(target, 'scripts/lib'));
        if (!allowedForTests) violations.push({ file, rule: 'production-imports-tests', detail: `imports ${target}` });
        continue;
      }
      if (!isUnder(target, 'services')) continue;
      const theirs = serviceOf(target);
      if (own === 'services/core') {
        if (theirs !== 'services/core') violations.push({ file, rule: 'core-imports-service', detail: `imports ${target}` });
      } else if (theirs !== own && theirs !== 'services/core') {
        violations.push({ file, rule: 'service-imports-service', detail: `imports ${target} (a service imports only services/core and its own folder)` });
      }
    }
  }
  const production = reachableFromRoots(files);
  for (const file of files.keys()) {
    if (!isUnder(file, 'services') || isTest(file) || production.has(file)) continue;
    violations.push({ file, rule: 'test-support-under-services', detail: 'no production code imports it: test support belongs under test/support/' });
  }
  return violations;
}

/** Files reached through imports from the entries and from every script that is not a test. */
function reachableFromRoots(files: ReadonlyMap<string, string>): Set<string> {
  const roots = [...files.keys()].filter((f) => ENTRIES.has(f) || (isUnder(f, 'scripts') && !isTest(f)));
  const seen = new Set<string>(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    for (const target of importsOf(file, files.get(file) ?? '')) {
      if (!seen.has(target) && files.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return seen;
}

/** Every .ts file under the given top-level folders of `root`, by repository path. */
export function readTree(root: string, folders: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) files.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
    }
  };
  for (const f of folders) walk(join(root, f));
  return files;
}

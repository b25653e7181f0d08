/**
 * Converts the LiteLLM price snapshot into the project's price table.
 *
 *   npm run import-prices -- [--source path] [--out path] [--effective-from YYYY-MM-DD] [--check]
 *
 * Defaults: --source ../shared/data/model_prices.json (relative to the repo root),
 * --out schemas/pricing/prices.json, --effective-from 1970-01-01.
 * --check writes nothing and exits 1 when the output file differs from what the source gives.
 * See schemas/pricing/README.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLiteLLM, serializePriceTable } from '../services/enricher/pricing/litellm-import.ts';
import { parsePriceTableFile } from '../services/enricher/pricing/price-table.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  source: string;
  out: string;
  effectiveFrom: string;
  check: boolean;
}

function usage(message?: string): never {
  if (message) console.error(`import-prices: ${message}`);
  console.error('usage: npm run import-prices -- [--source path] [--out path] [--effective-from YYYY-MM-DD] [--check]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    source: resolve(repoRoot, '../shared/data/model_prices.json'),
    out: resolve(repoRoot, 'schemas/pricing/prices.json'),
    effectiveFrom: '1970-01-01',
    check: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const flag = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (a.startsWith('--') && eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--source':
        args.source = resolve(value());
        break;
      case '--out':
        args.out = resolve(value());
        break;
      case '--effective-from':
        args.effectiveFrom = value();
        break;
      case '--check':
        args.check = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${a}`);
    }
  }
  return args;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const sourceText = readFileSync(args.source, 'utf8');
  const { table, report } = convertLiteLLM(sourceText, { effectiveFrom: args.effectiveFrom });
  const text = serializePriceTable(table);
  parsePriceTableFile(JSON.parse(text), 'generated price table'); // self-check against the loader's schema

  const skipped = Object.entries(report.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}=${n}`)
    .join(', ');
  const notApplied = Object.entries(report.notApplied)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 12)
    .map(([f, n]) => `${f}=${n}`)
    .join(', ');
  const lines = [
    `source:   ${args.source}`,
    `version:  ${table.version}${table.source_updated ? ` (snapshot last_updated ${table.source_updated})` : ''}`,
    `entries:  ${report.entries}; kept ${report.kept}; skipped ${skipped}`,
    `modes:    ${Object.entries(report.keptByMode).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m}=${n}`).join(', ')}`,
    `tiers:    ${Object.entries(report.tiers).map(([t, n]) => `${t}=${n}`).join(', ') || 'none'}`,
    `cache_read from input_cost_per_token_cache_hit: ${report.cacheHitAsCacheRead}`,
    `zero-priced (every token price 0): ${report.zeroPriced.length}, e.g. ${report.zeroPriced.slice(0, 5).join(', ')}`,
    `not applied (top fields on kept models): ${notApplied}`,
  ];
  for (const l of lines) console.log(l);

  const fromCwd = relative(process.cwd(), args.out);
  const rel = fromCwd === '' || fromCwd.startsWith('..') ? args.out : fromCwd;
  if (args.check) {
    const current = existsSync(args.out) ? readFileSync(args.out, 'utf8') : '';
    if (current !== text) {
      console.error(`${rel} is out of date: run npm run import-prices`);
      process.exit(1);
    }
    console.log(`${rel} is up to date (${text.length} bytes)`);
    return;
  }
  writeFileSync(args.out, text);
  console.log(`wrote ${rel} (${Object.keys(table.models).length} models, ${text.length} bytes)`);
}

try {
  main();
} catch (err) {
  console.error(`import-prices: ${(err as Error).message}`);
  process.exit(1);
}

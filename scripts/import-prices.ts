/**
 * Converts the LiteLLM price snapshot into the project's price table.
 *
 *   npm run import-prices -- [--source path] [--out path] [--effective-from YYYY-MM-DD] [--replace] [--check]
 *
 * Defaults: --source ../shared/data/model_prices.json (relative to the repo root),
 * --out schemas/pricing/prices.json.
 * When --out exists (a refresh), the snapshot is merged into it, keeping price history
 * (services/core/pricing/price-merge.ts): a model whose price changed gets a new price
 * dated --effective-from (default: the snapshot's last_updated date, else today, UTC), new
 * models are dated the same, models gone from the snapshot keep their prices.
 * When --out does not exist (first import), or with --replace, the file is written from the
 * snapshot alone, every price dated --effective-from (default 1970-01-01).
 * --check writes nothing and exits 1 when the output file differs from what the import gives.
 * See schemas/pricing/README.md.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertLiteLLM, serializePriceTable } from '../services/core/pricing/litellm-import.ts';
import { FIRST_IMPORT_DATE, formatChange, mergePriceTables, snapshotDate, type MergeReport } from '../services/core/pricing/price-merge.ts';
import { isIsoDate, type PriceTableFile } from '../services/core/pricing/price-schema.ts';
import { parsePriceTableFile } from '../services/core/pricing/price-table.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  source: string;
  out: string;
  /** undefined: the default of the mode (merge: snapshot date or today; first import / --replace: 1970-01-01). */
  effectiveFrom: string | undefined;
  replace: boolean;
  check: boolean;
}

function usage(message?: string): never {
  if (message) console.error(`import-prices: ${message}`);
  console.error('usage: npm run import-prices -- [--source path] [--out path] [--effective-from YYYY-MM-DD] [--replace] [--check]');
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    source: resolve(repoRoot, '../shared/data/model_prices.json'),
    out: resolve(repoRoot, 'schemas/pricing/prices.json'),
    effectiveFrom: undefined,
    replace: false,
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
        if (!isIsoDate(args.effectiveFrom)) usage(`--effective-from: expected YYYY-MM-DD, got ${JSON.stringify(args.effectiveFrom)}`);
        break;
      case '--replace':
        args.replace = true;
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

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function displayPath(file: string): string {
  const fromCwd = relative(process.cwd(), file);
  return fromCwd === '' || fromCwd.startsWith('..') ? file : fromCwd;
}

function parseExisting(text: string, rel: string): PriceTableFile {
  const hint = 'fix it, or pass --replace to overwrite it (dropping its price history)';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`existing price table ${rel} is not valid JSON (${(err as Error).message}): ${hint}`);
  }
  return parsePriceTableFile(json, `existing price table ${rel} (${hint})`);
}

const EXAMPLES = 10;

function names(list: readonly string[]): string {
  const more = list.length > EXAMPLES ? `, … and ${list.length - EXAMPLES} more` : '';
  return `${list.slice(0, EXAMPLES).join(', ')}${more}`;
}

function mergeLines(r: MergeReport): string[] {
  const lines = [
    `merge:    unchanged ${r.unchanged}, changed ${r.changed.length}, added ${r.added.length}, removed ${r.removed.length}` +
      (r.removed.length > 0 ? ' (no longer in the source; their prices are kept)' : ''),
  ];
  r.changed.slice(0, EXAMPLES).forEach((c, i) => lines.push(`${i === 0 ? 'changed:  ' : '          '}${formatChange(c)}`));
  if (r.changed.length > EXAMPLES) lines.push(`          … and ${r.changed.length - EXAMPLES} more`);
  if (r.added.length > 0) lines.push(`added:    ${names(r.added)} (dated ${r.effectiveFrom})`);
  if (r.removed.length > 0) lines.push(`removed:  ${names(r.removed)}`);
  if (r.relabelled.length > 0) lines.push(`provider/mode updated from the snapshot: ${names(r.relabelled)}`);
  return lines;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const rel = displayPath(args.out);
  const sourceText = readFileSync(args.source, 'utf8');
  const current = existsSync(args.out) ? readFileSync(args.out, 'utf8') : undefined;
  const merging = current !== undefined && !args.replace;

  const { table: fresh, report } = convertLiteLLM(sourceText, { effectiveFrom: (merging ? undefined : args.effectiveFrom) ?? FIRST_IMPORT_DATE });
  let table: PriceTableFile = fresh;
  let modeLines: string[];
  if (merging) {
    const existing = parseExisting(current, rel);
    const fromSnapshot = snapshotDate(fresh.source_updated);
    const effectiveFrom = args.effectiveFrom ?? fromSnapshot ?? todayUtc();
    const why =
      args.effectiveFrom !== undefined
        ? '--effective-from'
        : fromSnapshot !== undefined
          ? "the snapshot's last_updated"
          : 'today (UTC): the snapshot has no last_updated date';
    const merged = mergePriceTables(existing, fresh, { effectiveFrom });
    table = merged.table;
    modeLines = [`mode:     refresh of ${rel}: new and changed prices dated ${effectiveFrom} (${why})`, ...mergeLines(merged.report)];
  } else {
    const date = args.effectiveFrom ?? FIRST_IMPORT_DATE;
    modeLines = [
      args.replace
        ? `mode:     --replace: ${rel} written from the snapshot alone (any price history dropped), every price dated ${date}`
        : `mode:     first import (${rel} does not exist): every price dated ${date}`,
    ];
  }
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
    `service tiers: ${Object.entries(report.serviceTiers).map(([t, n]) => `${t}=${n}`).join(', ') || 'none'}`,
    `cache_read from input_cost_per_token_cache_hit: ${report.cacheHitAsCacheRead}`,
    `zero-priced (every token price 0): ${report.zeroPriced.length}, e.g. ${report.zeroPriced.slice(0, 5).join(', ')}`,
    `not applied (top fields on kept models): ${notApplied}`,
    ...modeLines,
  ];
  for (const l of lines) console.log(l);

  if (args.check) {
    if (current !== text) {
      console.error(`${rel} is out of date: run npm run import-prices`);
      process.exit(1);
    }
    console.log(`${rel} is up to date (${text.length} bytes)`);
    return;
  }
  if (current === text) {
    console.log(`${rel} unchanged (${Object.keys(table.models).length} models, ${text.length} bytes)`);
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

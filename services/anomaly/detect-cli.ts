import { basename } from 'node:path';
import { bucketSeries, formatBucketSummary, inferIntervalMs, type Aggregation, type BucketSummary } from './engine/bucketing.ts';
import { judgeGenericSeries } from './engine/generic-series.ts';
import type { Direction } from './types.ts';

/**
 * `npm run detect -- --input series.csv [--direction up|down|both] [--interval 1m] [--aggregate mean|max|sum]`:
 * runs the service's judging code (engine/judge-metric.ts: the same ensemble and k-of-n
 * firing, with the generic profile of detectors/defaults.ts) over one CSV series and
 * prints `timestamp,value,score,is_anomaly,would_alert` per slot with data. For trying
 * the detector on your own data, or checking what it would have said about last month.
 *
 * Input: `timestamp,value` lines, header optional; timestamps ISO-8601 or epoch seconds
 * / milliseconds in any order. Rows are bucketed onto the interval (the median gap unless
 * `--interval` is given; engine/bucketing.ts): repeated, out-of-order and jittered
 * timestamps merge into their slot (`--aggregate`: mean by default, max for tail gauges
 * such as latency, sum for counts and cost), gaps stay missing; one line on stderr says
 * how many rows were merged and slots missing. Real files are never refused for their
 * timestamps. Daily and weekly seasonality are used when the interval divides a day.
 * `is_anomaly` is the ensemble's raw verdict for the slot, `would_alert` whether the
 * service would be alerting at that slot (k of n, fire at once, clean period); `score`
 * is 0..1 with 0.5 at the threshold, 0 while the detector warms up. A merged slot prints
 * the slot's time, a slot of one row that row's timestamp text. Errors name the file
 * and line (`series.csv:17: value "abc" is not a number`) and exit 2.
 */

export class CliError extends Error {}

export interface DetectArgs {
  input: string;
  direction: Direction;
  intervalMs: number | null;
  aggregate: Aggregation;
}

const USAGE = 'usage: npm run detect -- --input series.csv [--direction up|down|both] [--interval 1m] [--aggregate mean|max|sum]';

/** "1m", "30s", "5min", "1h", "1d", "250ms" → milliseconds. */
export function parseInterval(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)$/i.exec(text.trim());
  if (!m) throw new CliError(`--interval "${text}" is not a duration like 30s, 1m, 5m, 1h, 1d`);
  const unit = m[2].toLowerCase();
  const ms = Number(m[1]) * (unit === 'ms' ? 1 : unit === 's' || unit === 'sec' ? 1_000 : unit === 'm' || unit === 'min' ? 60_000 : unit === 'h' ? 3_600_000 : 86_400_000);
  if (!(ms > 0)) throw new CliError(`--interval "${text}" must be positive`);
  return ms;
}

export function parseArgs(argv: readonly string[]): DetectArgs {
  let input: string | null = null;
  let direction: Direction = 'both';
  let intervalMs: number | null = null;
  let aggregate: Aggregation = 'mean';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new CliError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--input') input = value();
    else if (flag === '--direction') {
      const d = value();
      if (d !== 'up' && d !== 'down' && d !== 'both') throw new CliError(`--direction "${d}" must be up, down or both`);
      direction = d;
    } else if (flag === '--interval') intervalMs = parseInterval(value());
    else if (flag === '--aggregate') {
      const g = value();
      if (g !== 'sum' && g !== 'mean' && g !== 'max') throw new CliError(`--aggregate "${g}" must be sum, mean or max`);
      aggregate = g;
    }
    else if (flag === '--help' || flag === '-h') throw new CliError(USAGE);
    else throw new CliError(`unknown argument "${a}"\n${USAGE}`);
  }
  if (input === null) throw new CliError(`--input is required\n${USAGE}`);
  return { input, direction, intervalMs, aggregate };
}

export interface SeriesRow {
  line: number;
  timestamp: string;
  value: string;
  ms: number;
  number: number;
}

/** ISO-8601 or epoch seconds (< 10¹¹) / milliseconds. */
function parseTimestamp(text: string): number | null {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/** Parses the CSV; throws CliError naming `file:line` on the first bad row. */
export function parseSeries(text: string, file: string): SeriesRow[] {
  const name = basename(file);
  const rows: SeriesRow[] = [];
  const lines = text.split(/\r?\n/);
  let first = true;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (raw.trim() === '') continue;
    const line = i + 1;
    const cells = raw.split(',');
    if (cells.length !== 2) throw new CliError(`${name}:${line}: expected 2 columns (timestamp,value), got ${cells.length}`);
    const [ts, val] = cells.map((c) => c.trim());
    const ms = parseTimestamp(ts);
    const num = val === '' ? NaN : Number(val);
    if (first && ms === null && Number.isNaN(num)) {
      first = false; // a header
      continue;
    }
    first = false;
    if (ms === null) throw new CliError(`${name}:${line}: timestamp "${ts}" is not ISO-8601 or epoch seconds / milliseconds`);
    if (!Number.isFinite(num)) throw new CliError(`${name}:${line}: value "${val}" is not a number`);
    rows.push({ line, timestamp: ts, value: val, ms, number: num });
  }
  return rows;
}

export interface DetectedRow {
  timestamp: string;
  value: number;
  score: number;
  is_anomaly: boolean;
  would_alert: boolean;
}

/** Buckets the rows onto the interval and judges every slot that has data (one output row per such slot). */
export function detectRows(rows: readonly SeriesRow[], direction: Direction, intervalMs: number, aggregation: Aggregation = 'mean'): { rows: DetectedRow[]; summary: BucketSummary } {
  const b = bucketSeries(rows.map((r) => ({ ms: r.ms, value: r.number })), intervalMs, aggregation);
  const verdicts = judgeGenericSeries(b.values, intervalMs, direction);
  const out: DetectedRow[] = [];
  for (let slot = 0; slot < b.values.length; slot++) {
    const v = verdicts[slot];
    if (v === null) continue;
    // a slot of one row keeps that row's timestamp text; merged slots print the slot time
    const only = b.rowsOf[slot].length === 1 ? rows[b.rowsOf[slot][0]] : null;
    const timestamp = only && only.ms === b.t0 + slot * intervalMs ? only.timestamp : new Date(b.t0 + slot * intervalMs).toISOString();
    out.push({ timestamp, value: b.values[slot]!, score: v.score, is_anomaly: v.anomalous, would_alert: v.wouldAlert });
  }
  return { rows: out, summary: b.summary };
}

export function formatRows(rows: readonly DetectedRow[]): string {
  const lines = ['timestamp,value,score,is_anomaly,would_alert'];
  for (const r of rows) lines.push(`${r.timestamp},${r.value},${r.score.toFixed(4)},${r.is_anomaly},${r.would_alert}`);
  return `${lines.join('\n')}\n`;
}

export interface CliIo {
  readFile(path: string): string;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The whole command; returns the exit code (0, or 2 on any input or usage error). */
export function runDetect(argv: readonly string[], io: CliIo): number {
  try {
    const args = parseArgs(argv);
    let text: string;
    try {
      text = io.readFile(args.input);
    } catch (err) {
      throw new CliError(`${args.input}: cannot read (${(err as Error).message})`);
    }
    const rows = parseSeries(text, args.input);
    if (rows.length === 0) throw new CliError(`${basename(args.input)}: no data rows`);
    const intervalMs = args.intervalMs ?? inferIntervalMs(rows.map((r) => r.ms));
    const { rows: out, summary } = detectRows(rows, args.direction, intervalMs, args.aggregate);
    io.stderr(`${basename(args.input)}: ${formatBucketSummary(summary, intervalMs, args.aggregate)}\n`);
    io.stdout(formatRows(out));
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

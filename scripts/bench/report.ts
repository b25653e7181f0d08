/** Pure parts of the report: targets (met / missed and by how much), number formatting, the text table. */

export type Unit = 'events/s' | 'spans/s' | 'rows/s' | 'ms' | 'MiB' | 's' | 'ratio' | 'count' | 'ns/event' | '%';

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface Verdict {
  met: boolean;
  /** Text such as "met, 23% headroom" or "missed by 91.7% (needs ×12.0)". */
  text: string;
}

/** One figure of the final table. */
export interface Figure {
  section: string;
  metric: string;
  value: number | null;
  unit: Unit;
  target?: Target;
  /** Ratio to the section-1 limit (value / limit), when meaningful. */
  vsLimit?: number;
  note?: string;
}

export const TARGETS = {
  embeddedEventsPerS: { op: '>=', value: 100_000 },
  enricherEventsPerS: { op: '>=', value: 100_000 },
  writerRowsPerS: { op: '>=', value: 150_000 },
  freshnessP95Ms: { op: '<=', value: 2_000 },
  queryP95Ms1: { op: '<=', value: 50 },
  queryP95Ms32: { op: '<=', value: 250 },
  rssMiB: { op: '<=', value: 1024 },
} as const satisfies Record<string, Target>;

/** met/missed and by how much; null value (not measured) → missed, "not measured". */
export function judge(value: number | null, target: Target): Verdict {
  if (value === null || !Number.isFinite(value)) return { met: false, text: 'missed (not measured)' };
  if (target.op === '>=') {
    if (value >= target.value) return { met: true, text: `met, ${pct(value / target.value - 1)} headroom` };
    const factor = value > 0 ? target.value / value : Infinity;
    return { met: false, text: `missed by ${pct(1 - value / target.value)} (needs ×${fixed(factor)})` };
  }
  if (value <= target.value) return { met: true, text: `met, ${pct(1 - value / target.value)} under` };
  return { met: false, text: `missed, ${pct(value / target.value - 1)} over (×${fixed(value / target.value)})` };
}

function pct(x: number): string {
  const v = x * 100;
  return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '')}%`;
}

function fixed(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

/** Thousands separators; integers above 100, one decimal below. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const [int, frac] = Math.abs(x).toFixed(digits).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${x < 0 ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

export function formatValue(value: number | null, unit: Unit): string {
  if (value === null || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 'ratio':
      return `${fixed(value)}×`;
    case 'count':
      return formatNumber(value);
    case '%':
      return `${formatNumber(value)}%`;
    default:
      return `${formatNumber(value)} ${unit}`;
  }
}

export function formatTarget(target: Target | undefined, unit: Unit): string {
  if (!target) return '';
  return `${target.op === '>=' ? '≥' : '≤'} ${formatValue(target.value, unit)}`;
}

/** The rows of the final table: section, figure, value, target, status, vs limit. */
export function figureRows(figures: readonly Figure[]): string[][] {
  return figures.map((f) => [
    f.section,
    f.metric,
    formatValue(f.value, f.unit),
    formatTarget(f.target, f.unit),
    f.target ? judge(f.value, f.target).text : '',
    f.vsLimit === undefined ? '' : formatValue(f.vsLimit, 'ratio'),
    f.note ?? '',
  ]);
}

export const TABLE_HEADERS = ['section', 'figure', 'value', 'target', 'status', 'ratio', 'note'];

/** A number with an optional unit, e.g. `8,308 events/s`, `0.25×`, `12.5 ms`, `–`. */
const NUMERIC_CELL = /^(–|-?[\d,]+(\.\d+)?(×|%)?( (events\/s|rows\/s|ms|MiB|s|ns\/event))?)$/;

/** Display width of a string (code points; every character here is single-width). */
function width(s: string): number {
  return [...s].length;
}

/**
 * A plain-text table: header, a rule, rows; columns padded to their widest cell,
 * numbers-looking cells right-aligned. Columns empty in every row are dropped.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const keep = headers.map((_, c) => rows.some((r) => (r[c] ?? '') !== ''));
  const cols = headers.map((_, c) => c).filter((c) => keep[c]);
  const widths = cols.map((c) => Math.max(width(headers[c]), ...rows.map((r) => width(r[c] ?? ''))));
  const numeric = cols.map((c) => rows.length > 0 && rows.every((r) => (r[c] ?? '') === '' || NUMERIC_CELL.test(r[c] ?? '')));
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(widths[i] - width(s));
    return numeric[i] ? fill + s : s + fill;
  };
  const line = (cells: readonly string[]) => cols.map((c, i) => pad(cells[c] ?? '', i)).join(' │ ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('─┼─');
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

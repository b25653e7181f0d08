/**
 * A one-line unicode sparkline (▁▂▃▄▅▆▇█) of a metric's recent minutes, so a chat
 * message shows the shape of the spike or drop without opening a dashboard.
 */
export const SPARK_CHARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

export interface SparklineOptions {
  /** Drawn for minutes without data (null / NaN); default '·' (a space is trimmed by some clients). */
  gap?: string;
  /** At most this many characters: longer series keep their newest values. Default 60. */
  maxWidth?: number;
}

/**
 * Scales the finite values between their min and max onto the eight block heights.
 * A flat series (all equal) draws at the lowest height — "nothing moving" — and an
 * all-empty series draws only gaps. Pure: same input, same string.
 */
export function sparkline(values: readonly (number | null | undefined)[], options: SparklineOptions = {}): string {
  const gap = options.gap ?? '·';
  const maxWidth = options.maxWidth ?? 60;
  const series = values.length > maxWidth ? values.slice(values.length - maxWidth) : values;
  const finite = series.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return gap.repeat(series.length);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;
  const top = SPARK_CHARS.length - 1;
  return series
    .map((v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return gap;
      if (span === 0) return SPARK_CHARS[0];
      return SPARK_CHARS[Math.round(((v - min) / span) * top)];
    })
    .join('');
}

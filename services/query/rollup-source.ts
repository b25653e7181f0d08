/**
 * Which rollup answers a metrics request. Pure.
 *
 * - interval=minute, and interval=none over at most 7 days unless its range is whole
 *   hours at the grain below: traces_1m;
 * - a request that names no dimension but feature and model (group_by and filters), the
 *   dashboard's grain: traces_fm_1d when the range is whole UTC days and no bucket finer
 *   than a day is asked (interval=day or none), else traces_fm_1h; an hourly question
 *   grouped by exactly feature and model also reads the finished quantiles of closed
 *   hours (traces_fm_quantiles) instead of merging t-digest states;
 * - anything else: traces_1h.
 * All of them hold the same aggregates, filled from `traces` by their views.
 */
import { DAY_MS, HOUR_MS } from '../core/time.ts';
import type { GroupColumn, MetricsRequest } from './params.ts';

export type RollupTable = 'traces_1m' | 'traces_1h' | 'traces_fm_1h' | 'traces_fm_1d';

export interface RollupSource {
  table: RollupTable;
  /** Bucket width of the table, reported to the client as `resolution`. */
  resolution: 'minute' | 'hour' | 'day';
  /** Closed hours' quantiles come finished from traces_fm_quantiles. */
  finishedQuantiles: boolean;
}

const FM_DIMENSIONS: ReadonlySet<GroupColumn> = new Set(['feature', 'model']);

export function rollupSource(req: Pick<MetricsRequest, 'fromMs' | 'toMs' | 'interval' | 'resolution' | 'groupBy' | 'filters'>): RollupSource {
  const minute: RollupSource = { table: 'traces_1m', resolution: 'minute', finishedQuantiles: false };
  if (req.interval === 'minute') return minute;
  const dims = [...req.groupBy, ...(Object.keys(req.filters) as GroupColumn[])];
  const fm = dims.every((d) => FM_DIMENSIONS.has(d));
  const wholeDays = req.fromMs % DAY_MS === 0 && req.toMs % DAY_MS === 0;
  const wholeHours = req.fromMs % HOUR_MS === 0 && req.toMs % HOUR_MS === 0;
  if (fm && wholeDays && (req.interval === 'day' || req.interval === 'none')) return { table: 'traces_fm_1d', resolution: 'day', finishedQuantiles: false };
  // interval=none over a short span is aligned to minutes: only traces_1m holds its edges.
  if (req.resolution === 'minute' && !(fm && wholeHours)) return minute;
  if (!fm) return { table: 'traces_1h', resolution: 'hour', finishedQuantiles: false };
  const byFeatureAndModel = req.groupBy.length === 2 && req.groupBy.includes('feature') && req.groupBy.includes('model');
  return { table: 'traces_fm_1h', resolution: 'hour', finishedQuantiles: req.interval === 'hour' && byFeatureAndModel };
}

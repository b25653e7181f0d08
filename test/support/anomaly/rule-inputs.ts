import { parseAlertsFile } from '../../../services/anomaly/config/load.ts';
import type { AlertsFile } from '../../../services/anomaly/config/alerts-file.ts';
import { emptyAggregate } from '../../../services/anomaly/detectors/metric-values.ts';
import type { MinuteAggregate, SeriesId } from '../../../services/anomaly/types.ts';

/** Test helpers for the static rules: validated files and minute rows. */

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A validated alerts file (defaults filled in) from the interesting fields only. */
export function alertsFile(over: Record<string, unknown> = {}): AlertsFile {
  return parseAlertsFile({ version: 1, ...over }, 'test');
}

export function agg(minute: number, over: Partial<MinuteAggregate> = {}): MinuteAggregate {
  return { ...emptyAggregate(minute), ...over };
}

export function row(feature: string, model: string, minute: number, over: Partial<MinuteAggregate> = {}): { series: SeriesId; agg: MinuteAggregate } {
  return { series: { feature, model }, agg: agg(minute, over) };
}

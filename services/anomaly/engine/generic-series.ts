import { genericProfile, type MetricProfile } from '../detectors/defaults.ts';
import { ensemble, ensembleBytes, type EnsembleParams } from '../detectors/ensemble.ts';
import { initialFiring } from '../detectors/firing.ts';
import type { Direction } from '../types.ts';
import { DAY_MS } from '../../core/time.ts';
import { judgeMetric, type MetricTrack } from './judge-metric.ts';

/**
 * An arbitrary bucketed series (`npm run detect`, the KPI evaluation) through the
 * service's judging code with the generic profile: per slot the raw verdict of the
 * ensemble and whether the service would be alerting (k-of-n firing, clean period).
 */

/** Longest seasonal lag kept (slots): a week of 30-second data; longer lags are dropped. */
const MAX_LAG = 20_160;

/**
 * A change that stays anomalous for this many slots becomes the new normal (the alert
 * resolves): two hours of minutes. A day (the service's default) kept a level shift
 * firing for 1,440 points; on the KPI series 120 and 240 score alike, 1,440 far worse.
 */
const LEVEL_SHIFT_SLOTS = 120;

export interface SlotVerdict {
  score: number;
  anomalous: boolean;
  wouldAlert: boolean;
}

export function genericParams(direction: Direction, intervalMs: number): EnsembleParams {
  const slotsPerDay = DAY_MS % intervalMs === 0 ? DAY_MS / intervalMs : 0;
  return { profile: genericProfile(direction), slotsPerDay, maxLag: MAX_LAG, relearnAfter: LEVEL_SHIFT_SLOTS };
}

/** Bytes of detector state for one generic series at this interval. */
export function genericSeriesBytes(direction: Direction, intervalMs: number): number {
  return ensembleBytes(genericParams(direction, intervalMs));
}

/** One verdict per slot; null slots (missing) get null. */
export function judgeGenericSeries(values: readonly (number | null)[], intervalMs: number, direction: Direction): (SlotVerdict | null)[] {
  const params = genericParams(direction, intervalMs);
  const profile: MetricProfile = params.profile;
  const track: MetricTrack = { state: ensemble.init(params), firing: initialFiring };
  const out: (SlotVerdict | null)[] = new Array(values.length);
  for (let slot = 0; slot < values.length; slot++) {
    const v = values[slot];
    if (v === null) {
      out[slot] = null;
      continue;
    }
    const j = judgeMetric(profile, track, { index: slot, value: v }, slot, 1);
    out[slot] = { score: j.result.score, anomalous: j.verdict === 'anomalous', wouldAlert: j.condition === 'firing' };
  }
  return out;
}

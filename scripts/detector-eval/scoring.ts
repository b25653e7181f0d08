/**
 * Delayed point-adjusted scoring (the KPI dataset's metric): a labelled segment (a run of
 * labelled slots with data) is found, and all its points are true positives, when any of
 * its first `delay + 1` points is flagged; otherwise all its points are false negatives.
 * Every flagged point outside a segment is a false positive. Missing slots are skipped
 * (they are not points). Also counts alert onsets (a flagged point after an unflagged one)
 * that start outside labelled segments.
 */
export interface SeriesScore {
  tp: number;
  fp: number;
  fn: number;
  segments: number;
  found: number;
  /** Onsets of flagged runs starting outside labelled segments. */
  falseOnsets: number;
  /** Days covered by points with data. */
  days: number;
}

export function scoreSeries(labels: Uint8Array, present: (slot: number) => boolean, flagged: (slot: number) => boolean, intervalMs: number, delay = 7): SeriesScore {
  const s: SeriesScore = { tp: 0, fp: 0, fn: 0, segments: 0, found: 0, falseOnsets: 0, days: 0 };
  let points = 0;
  let prevFlag = false;
  let segLen = 0;
  let segHit = false;
  const close = (): void => {
    if (segLen === 0) return;
    s.segments++;
    if (segHit) {
      s.found++;
      s.tp += segLen;
    } else s.fn += segLen;
    segLen = 0;
    segHit = false;
  };
  for (let i = 0; i < labels.length; i++) {
    if (!present(i)) continue;
    points++;
    const f = flagged(i);
    if (labels[i]) {
      if (f && segLen <= delay) segHit = true;
      segLen++;
    } else {
      close();
      if (f) {
        s.fp++;
        if (!prevFlag) s.falseOnsets++;
      }
    }
    prevFlag = f;
  }
  close();
  s.days = (points * intervalMs) / 86_400_000;
  return s;
}

export interface Summary {
  precision: number;
  recall: number;
  f1: number;
  tp: number;
  fp: number;
  fn: number;
  segments: number;
  found: number;
  /** False onsets per series-day, mean over series (total onsets / total days) and the worst series. */
  onsetsPerDay: number;
  worstOnsetsPerDay: number;
  worstSeries: string;
}

export function summarise(scores: { name: string; s: SeriesScore }[]): Summary {
  let tp = 0, fp = 0, fn = 0, seg = 0, found = 0, on = 0, days = 0;
  let worst = 0;
  let worstSeries = '';
  for (const { name, s } of scores) {
    tp += s.tp; fp += s.fp; fn += s.fn; seg += s.segments; found += s.found; on += s.falseOnsets; days += s.days;
    const r = s.days > 0 ? s.falseOnsets / s.days : 0;
    if (r > worst) { worst = r; worstSeries = name; }
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, tp, fp, fn, segments: seg, found, onsetsPerDay: days > 0 ? on / days : 0, worstOnsetsPerDay: worst, worstSeries };
}

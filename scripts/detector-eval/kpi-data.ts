import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bucketSeries, inferIntervalMs, type BucketSummary } from '../../services/anomaly/engine/bucketing.ts';

/**
 * A labelled KPI file (`timestamp,value,label`, epoch seconds) bucketed the way
 * `npm run detect` buckets its input (mean per slot; a slot is labelled when any row in it
 * is). Missing slots carry no value and no label.
 */
export interface LabelledSeries {
  name: string;
  intervalMs: number;
  values: (number | null)[];
  labels: Uint8Array;
  summary: BucketSummary;
}

export function loadKpi(file: string): LabelledSeries {
  const rows: { ms: number; value: number }[] = [];
  const rowLabels: number[] = [];
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const [t, v, l] = lines[i].split(',');
    const value = Number(v);
    if (!Number.isFinite(value)) continue;
    rows.push({ ms: Number(t) * 1000, value });
    rowLabels.push(Number(l) === 1 ? 1 : 0);
  }
  const intervalMs = inferIntervalMs(rows.map((r) => r.ms));
  const b = bucketSeries(rows, intervalMs, 'mean');
  const labels = new Uint8Array(b.values.length);
  b.rowsOf.forEach((idx, slot) => {
    for (const i of idx) if (rowLabels[i]) labels[slot] = 1;
  });
  return { name: basename(file, '.csv'), intervalMs, values: b.values, labels, summary: b.summary };
}

export function kpiFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()
    .map((f) => join(dir, f));
}

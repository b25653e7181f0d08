import { mkdirSync, writeFileSync } from 'node:fs';
import { genericSeriesBytes, judgeGenericSeries } from '../../services/anomaly/engine/generic-series.ts';
import { kpiFiles, loadKpi, type LabelledSeries } from './kpi-data.ts';
import { medianMadFlags } from './median-mad-baseline.ts';
import { scoreSeries, summarise, type SeriesScore, type Summary } from './scoring.ts';

/**
 * `npm run bench:detectors -- --kpi ../shared/data/kpi [--half a|b] [--out file.json]`:
 * the service's judging code (generic profile, frozen defaults, k-of-n firing) over every
 * labelled KPI file, next to a plain rolling median/MAD detector, scored by delayed
 * point-adjusted F1 (see scoring.ts). `would alert` is what the service would alert on
 * (the firing condition); `raw verdict` the per-point ensemble verdict before k-of-n.
 * `--half a` / `--half b` keep the files at even / odd positions (sorted by name): tune
 * on one half, report on the other. Writes .bench/detectors-kpi.json.
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  return process.argv[i + 1];
}

export function runKpiEval(): void {
  const dir = arg('kpi') ?? '../shared/data/kpi';
  const half = arg('half');
  const only = arg('only');
  const out = arg('out') ?? '.bench/detectors-kpi.json';
  let files = kpiFiles(dir);
  if (half === 'a' || half === 'b') files = files.filter((_, i) => i % 2 === (half === 'a' ? 0 : 1));
  if (only) files = files.filter((f) => f.includes(only));

  const ours: { name: string; s: SeriesScore }[] = [];
  const raw: { name: string; s: SeriesScore }[] = [];
  const base: { name: string; s: SeriesScore }[] = [];
  const perSeries: Record<string, unknown>[] = [];
  let ourNs = 0;
  let points = 0;
  for (const f of files) {
    const series: LabelledSeries = loadKpi(f);
    const present = (i: number): boolean => series.values[i] !== null;
    const t0 = process.hrtime.bigint();
    const v = judgeGenericSeries(series.values, series.intervalMs, 'both');
    ourNs += Number(process.hrtime.bigint() - t0);
    const n = series.values.length - series.summary.missing;
    points += n;
    const b = medianMadFlags(series.values);
    const so = scoreSeries(series.labels, present, (i) => v[i]?.wouldAlert ?? false, series.intervalMs);
    const sr = scoreSeries(series.labels, present, (i) => v[i]?.anomalous ?? false, series.intervalMs);
    const sb = scoreSeries(series.labels, present, (i) => b[i] === 1, series.intervalMs);
    ours.push({ name: series.name, s: so });
    raw.push({ name: series.name, s: sr });
    base.push({ name: series.name, s: sb });
    const one = (x: SeriesScore) => summarise([{ name: series.name, s: x }]);
    const o1 = one(so);
    const b1 = one(sb);
    perSeries.push({ series: series.name, points: n, interval_s: series.intervalMs / 1000, missing: series.summary.missing, ours: { f1: o1.f1, precision: o1.precision, recall: o1.recall, false_onsets_per_day: o1.onsetsPerDay }, baseline: { f1: b1.f1, precision: b1.precision, recall: b1.recall, false_onsets_per_day: b1.onsetsPerDay } });
    if (process.argv.includes('--verbose')) console.log(`${series.name.slice(0, 8)} ours F1 ${o1.f1.toFixed(3)} P ${o1.precision.toFixed(3)} R ${o1.recall.toFixed(3)} seg ${o1.found}/${o1.segments} on/d ${o1.onsetsPerDay.toFixed(2)} | base F1 ${b1.f1.toFixed(3)} P ${b1.precision.toFixed(3)} R ${b1.recall.toFixed(3)}`);
  }
  const o = summarise(ours);
  const r = summarise(raw);
  const b = summarise(base);
  const usPerPoint = ourNs / 1000 / Math.max(1, points);
  const bytes = genericSeriesBytes('both', 60_000);

  const row = (label: string, s: Summary): string =>
    `${label.padEnd(34)} ${s.f1.toFixed(3).padStart(6)} ${s.precision.toFixed(3).padStart(6)} ${s.recall.toFixed(3).padStart(6)} ${`${s.found}/${s.segments}`.padStart(9)} ${s.onsetsPerDay.toFixed(3).padStart(9)} ${s.worstOnsetsPerDay.toFixed(2).padStart(7)}`;
  console.log(`KPI series: ${files.length} files, ${points} points${half ? ` (half ${half})` : ''}; delayed point-adjusted scoring, delay 7`);
  console.log(`${'detector'.padEnd(34)} ${'F1'.padStart(6)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'segments'.padStart(9)} ${'onsets/d'.padStart(9)} ${'worst'.padStart(7)}`);
  console.log(row('ours, would alert (k-of-n)', o));
  console.log(row('ours, raw per-point verdict', r));
  console.log(row('rolling median/MAD (1440, |z|>6)', b));
  console.log(`ours / baseline F1: ${(o.f1 / Math.max(1e-9, b.f1)).toFixed(2)}x; onsets/d = alert onsets outside labelled segments per series-day (mean; worst series ${o.worstSeries.slice(0, 8)})`);
  console.log(`cost: ${usPerPoint.toFixed(2)} µs per series-point (a series-minute for the 1-minute files); memory: ${bytes} B of detector state per 1-minute series`);
  const result = { at: new Date().toISOString(), node: process.version, dir, half: half ?? 'all', files: files.length, points, ours_would_alert: o, ours_raw: r, baseline_median_mad: b, ratio_f1: o.f1 / Math.max(1e-9, b.f1), us_per_series_point: usPerPoint, detector_bytes_per_series: bytes, per_series: perSeries };
  mkdirSync(out.includes('/') ? out.slice(0, out.lastIndexOf('/')) : '.', { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

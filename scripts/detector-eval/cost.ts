import { mkdirSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { cusum } from '../../services/anomaly/detectors/cusum.ts';
import { METRIC_DEFAULTS } from '../../services/anomaly/detectors/defaults.ts';
import { ensemble, ensembleBytes, stepEnsemble } from '../../services/anomaly/detectors/ensemble.ts';
import { ewma } from '../../services/anomaly/detectors/ewma.ts';
import { proportion } from '../../services/anomaly/detectors/proportion.ts';
import { robustBaseline } from '../../services/anomaly/detectors/robust-baseline.ts';
import { step, type Detector, type DetectorPoint } from '../../services/anomaly/detectors/types.ts';
import { createDetectionEngine } from '../../services/anomaly/engine/engine.ts';
import { METRICS, type MinuteAggregate } from '../../services/anomaly/types.ts';

/**
 * `npm run bench:detectors [-- --series 10000 --points 200000]`: cost per point of each
 * detector and of each metric's full ensemble (ns/point, after a week of warm-up so the
 * seasonal windows are in play), and memory per series of the engine (every metric),
 * measured as the heap + ArrayBuffer delta over `--series` series. Writes
 * .bench/detectors.json.
 */

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SERIES = arg('series', 10_000);
const POINTS = arg('points', 100_000);
const WEEK = 7 * 1440;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Deterministic noise. */
let seed = 1;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const noisy = (i: number): number => 100 + 40 * Math.sin((2 * Math.PI * i) / 1440) + 10 * (rand() - 0.5);

function time(points: number, fn: (i: number) => void): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < points; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / points;
}

function benchDetector<S, P>(d: Detector<S, P>, params: P, point: (i: number) => DetectorPoint, warm: number): number {
  let s = d.init(params);
  for (let i = 0; i < warm; i++) s = step(d, s, point(i)).state;
  return time(POINTS, (i) => {
    s = step(d, s, point(warm + i)).state;
  });
}

const perDetector = {
  robust_baseline_seasonal: benchDetector(robustBaseline, { direction: 'both', threshold: 5, lags: [1440, WEEK] }, (i) => ({ index: i, value: noisy(i) }), WEEK + 100),
  robust_baseline_plain: benchDetector(robustBaseline, { direction: 'both', threshold: 5 }, (i) => ({ index: i, value: noisy(i) }), 500),
  ewma: benchDetector(ewma, { direction: 'both', limit: 5 }, (i) => ({ index: i, value: noisy(i) }), 500),
  cusum: benchDetector(cusum, { direction: 'both', h: 8 }, (i) => ({ index: i, value: noisy(i) }), 500),
  proportion: benchDetector(proportion, { direction: 'up', threshold: 5 }, (i) => {
    const n = 20 + Math.floor(rand() * 40);
    const x = rand() < 0.2 ? 1 : 0;
    return { index: i, value: x / n, successes: x, trials: n };
  }, 500),
};

const perMetric: Record<string, number> = {};
for (const m of METRICS) {
  const profile = METRIC_DEFAULTS[m];
  let s = ensemble.init({ profile });
  const point = (i: number): DetectorPoint => {
    const n = 20 + Math.floor(rand() * 40);
    if (profile.kind === 'proportion') {
      const x = m === 'eval_score' ? n * (0.85 + 0.1 * rand()) : rand() < 0.2 ? 1 : 0;
      return { index: i, value: x / n, successes: x, trials: n, volume: n };
    }
    return { index: i, value: noisy(i), volume: n };
  };
  for (let i = 0; i < WEEK + 100; i++) s = stepEnsemble(s, point(i)).state;
  perMetric[m] = time(POINTS, (i) => {
    s = stepEnsemble(s, point(WEEK + 100 + i)).state;
  });
}
const ensemblePerSeriesMinute = Object.values(perMetric).reduce((a, b) => a + b, 0);

// memory: an engine with SERIES series, every metric allocated
const agg = (minute: number): MinuteAggregate => ({ minute, requests: 10, errors: 0, cost_usd: 0.1, unpriced: 0, tokens: 5000, latency_p95_ms: 900, eval_count: 2, eval_sum: 1.8, feedback_count: 1, feedback_negative: 0 });
gc();
const before = process.memoryUsage();
const engine = createDetectionEngine({ repeatIntervalMinutes: 240 });
for (let i = 0; i < SERIES; i++) engine.warm({ feature: `feature-${i}`, model: 'gpt-4o' }, [agg(0), agg(60_000)]);
gc();
const after = process.memoryUsage();
const measuredPerSeries = (after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers)) / SERIES;
const stats = engine.stats();

const result = {
  at: new Date().toISOString(),
  node: process.version,
  points: POINTS,
  ns_per_point: Object.fromEntries(Object.entries(perDetector).map(([k, v]) => [k, Math.round(v)])),
  ns_per_point_ensemble: Object.fromEntries(Object.entries(perMetric).map(([k, v]) => [k, Math.round(v)])),
  ns_per_series_minute_all_metrics: Math.round(ensemblePerSeriesMinute),
  memory: {
    series: SERIES,
    measured_bytes_per_series: Math.round(measuredPerSeries),
    computed_bytes_per_series: stats.bytes_per_series,
    typed_array_bytes_per_metric: Object.fromEntries(METRICS.map((m) => [m, ensembleBytes({ profile: METRIC_DEFAULTS[m] })])),
  },
};

console.log('detector cost, ns/point (after a week of history):');
for (const [k, v] of Object.entries(result.ns_per_point)) console.log(`  ${k.padEnd(28)} ${String(v).padStart(7)}`);
console.log('per-metric ensemble, ns/point:');
for (const [k, v] of Object.entries(result.ns_per_point_ensemble)) console.log(`  ${k.padEnd(28)} ${String(v).padStart(7)}`);
console.log(`  ${'all 8 metrics, per series·minute'.padEnd(28)} ${String(result.ns_per_series_minute_all_metrics).padStart(7)}`);
console.log(`memory per series (all metrics), over ${SERIES} series: measured ${result.memory.measured_bytes_per_series} B, computed ${result.memory.computed_bytes_per_series} B`);
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/detectors.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('wrote .bench/detectors.json');

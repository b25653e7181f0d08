import { createLatencyHistogram, type LatencyHistogram } from '../../services/anomaly/latency-histogram.ts';
import { ALL, type MinuteAggregate, type SeriesId } from '../../services/anomaly/types.ts';
import { prng as mulberry32 } from '../../scripts/lib/prng.ts';

/**
 * Simulated LLM traffic for the labelled anomaly scenarios: per-minute aggregates of
 * several features × models at the four roll-up levels, with a daily rhythm (night
 * trough at ~03:00 UTC, peak mid-afternoon), a weekly one (weekends at 55 %), and
 * realistic noise — Poisson request counts, lognormal tokens and latency, per-model
 * prices, binomial errors, sampled eval scores and user feedback — plus injectable
 * incidents. Deterministic for a seed (mulberry32).
 */

export const MINUTE_MS = 60_000;
export const DAY_MINUTES = 1440;
/** Sunday 2025-01-05 00:00 UTC: days 0 and 6 of every week (day % 7) are the weekend. */
export const SIM_START = Date.UTC(2025, 0, 5);

const NORMAL_TABLE = (() => {
  const t = new Float64Array(4096);
  // Φ⁻¹ by bisection on the error function approximation is overkill; Box-Muller sorted samples would do, but a
  // deterministic table is simplest: invert Φ numerically with Newton steps from a logistic start.
  const phi = (x: number) => 0.5 * (1 + erf(x / Math.SQRT2));
  for (let i = 0; i < t.length; i++) {
    const p = (i + 0.5) / t.length;
    let x = Math.log(p / (1 - p)) / 1.702;
    for (let k = 0; k < 40; k++) x -= (phi(x) - p) / (Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI));
    t[i] = x;
  }
  return t;
})();

/** erf (Abramowitz–Stegun 7.1.26 refined by one series term is not needed for a simulation: |ε| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

export interface FeatureSpec {
  name: string;
  /** Requests per minute at the weekday peak, over all its models. */
  peak: number;
  /** Share of its traffic per model. */
  models: Record<string, number>;
  /** Median tokens (input + output) per request. */
  tokens: number;
}

export interface ModelSpec {
  name: string;
  /** USD per 1k tokens (blended input/output). */
  price: number;
  /** Median latency, ms. */
  latency: number;
}

/** What an incident does to one leaf (feature, model) in one minute. */
export interface Effect {
  costFactor?: number;
  latencyFactor?: number;
  errorRate?: number;
  evalMean?: number;
  trafficFactor?: number;
  promptVersion?: string;
}

export interface Incident {
  name: string;
  metric: 'cost_usd' | 'latency_p95_ms' | 'error_rate' | 'eval_score' | 'requests';
  /** Minute offsets from SIM_START. */
  start: number;
  end: number;
  /** The leaves it touches. */
  feature: string | typeof ALL;
  model: string | typeof ALL;
  /** Must notify within this many minutes of the start. */
  detectWithin: number;
  effect(minuteOffset: number): Effect;
}

export interface SimConfig {
  seed: number;
  features: FeatureSpec[];
  models: ModelSpec[];
  incidents: Incident[];
  baseErrorRate?: number;
  evalMean?: number;
  evalSd?: number;
  evalShare?: number;
  feedbackShare?: number;
  negativeShare?: number;
}

export interface SimMinute {
  minute: number;
  rows: { series: SeriesId; agg: MinuteAggregate }[];
}

/** Daily × weekly rhythm, 0.3 at the night trough to 1 at the weekday peak. */
export function rhythm(minuteOffset: number): number {
  const day = Math.floor(minuteOffset / DAY_MINUTES);
  const hour = (minuteOffset % DAY_MINUTES) / 60;
  const daily = 0.3 + 0.7 * Math.pow(0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24), 1.5);
  const weekend = day % 7 === 0 || day % 7 === 6 ? 0.55 : 1;
  return daily * weekend;
}

export function createSimulator(cfg: SimConfig): { minute(offset: number): SimMinute } {
  const rnd = mulberry32(cfg.seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  // per-request draws use an inverse-CDF table (tails cut at ±3.9 σ): ~10× cheaper than Box-Muller
  const fastGauss = (): number => NORMAL_TABLE[(rnd() * NORMAL_TABLE.length) | 0];
  const poisson = (lambda: number): number => {
    if (lambda <= 0) return 0;
    if (lambda > 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
    const l = Math.exp(-lambda);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= rnd();
    } while (p > l);
    return k - 1;
  };
  const binomial = (n: number, p: number): number => {
    if (n <= 0 || p <= 0) return 0;
    if (n * p > 30 && n * (1 - p) > 30) return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * gauss())));
    let x = 0;
    for (let i = 0; i < n; i++) if (rnd() < p) x++;
    return x;
  };
  const modelsByName = new Map(cfg.models.map((m) => [m.name, m]));
  const baseError = cfg.baseErrorRate ?? 0.005;
  const evalMean = cfg.evalMean ?? 0.9;
  const evalSd = cfg.evalSd ?? 0.08;
  const evalShare = cfg.evalShare ?? 0.25;
  const feedbackShare = cfg.feedbackShare ?? 0.05;
  const negativeShare = cfg.negativeShare ?? 0.1;

  function effectFor(feature: string, model: string, offset: number): Effect {
    let e: Effect = {};
    for (const inc of cfg.incidents) {
      if (offset < inc.start || offset >= inc.end) continue;
      if ((inc.feature === ALL || inc.feature === feature) && (inc.model === ALL || inc.model === model)) e = { ...e, ...inc.effect(offset) };
    }
    return e;
  }

  function leaf(f: FeatureSpec, modelName: string, share: number, offset: number, minute: number): { agg: MinuteAggregate; hist: LatencyHistogram } {
    const m = modelsByName.get(modelName)!;
    const e = effectFor(f.name, modelName, offset);
    const n = poisson(f.peak * share * rhythm(offset) * (e.trafficFactor ?? 1));
    const hist = createLatencyHistogram();
    // tokens: sum of n lognormal(σ 0.45) draws, by its normal approximation (n·mean, n·variance)
    const tokenMean = f.tokens * Math.exp(0.45 ** 2 / 2);
    const tokenSd = tokenMean * Math.sqrt(Math.exp(0.45 ** 2) - 1);
    const tokens = n > 0 ? Math.max(n, Math.round(n * tokenMean + Math.sqrt(n) * tokenSd * gauss())) : 0;
    // latency: one lognormal(σ 0.4) draw per request into the histogram, as the service aggregates
    const latMedian = m.latency * (e.latencyFactor ?? 1);
    for (let i = 0; i < n; i++) hist.add(latMedian * Math.exp(0.4 * fastGauss()));
    const cost = (tokens / 1000) * m.price * (e.costFactor ?? 1);
    const errors = binomial(n, e.errorRate ?? baseError);
    const evals = binomial(n, evalShare);
    // sum of `evals` scores ~ N(mean, evalSd) clipped to 0..1, by its normal approximation
    const mean = e.evalMean ?? evalMean;
    const evalSum = evals > 0 ? Math.min(evals, Math.max(0, evals * mean + Math.sqrt(evals) * evalSd * gauss())) : 0;
    const feedback = binomial(n, feedbackShare);
    const negative = binomial(feedback, negativeShare);
    const agg: MinuteAggregate = {
      minute,
      requests: n,
      errors,
      cost_usd: cost,
      unpriced: 0,
      tokens,
      latency_p95_ms: n > 0 ? hist.quantile(0.95) : null,
      eval_count: evals,
      eval_sum: evalSum,
      feedback_count: feedback,
      feedback_negative: negative,
      prompt_versions: [e.promptVersion ?? `${f.name}-v1`],
    };
    return { agg, hist };
  }

  function add(into: { agg: MinuteAggregate; hist: LatencyHistogram } | undefined, minute: number, from: { agg: MinuteAggregate; hist: LatencyHistogram }) {
    const t = into ?? { agg: { minute, requests: 0, errors: 0, cost_usd: 0, unpriced: 0, tokens: 0, latency_p95_ms: null, eval_count: 0, eval_sum: 0, feedback_count: 0, feedback_negative: 0 }, hist: createLatencyHistogram() };
    const a = t.agg;
    const b = from.agg;
    a.requests += b.requests;
    a.errors += b.errors;
    a.cost_usd += b.cost_usd;
    a.unpriced += b.unpriced;
    a.tokens += b.tokens;
    a.eval_count += b.eval_count;
    a.eval_sum += b.eval_sum;
    a.feedback_count += b.feedback_count;
    a.feedback_negative += b.feedback_negative;
    t.hist.merge(from.hist);
    return t;
  }

  return {
    minute(offset) {
      const minute = SIM_START + offset * MINUTE_MS;
      const rows: SimMinute['rows'] = [];
      const byFeature = new Map<string, ReturnType<typeof add>>();
      const byModel = new Map<string, ReturnType<typeof add>>();
      let total: ReturnType<typeof add> | undefined;
      for (const f of cfg.features) {
        for (const [model, share] of Object.entries(f.models)) {
          const l = leaf(f, model, share, offset, minute);
          // like the service's roll-up, a series without events in the minute has no row
          if (l.agg.requests > 0) rows.push({ series: { feature: f.name, model }, agg: l.agg });
          byFeature.set(f.name, add(byFeature.get(f.name), minute, l));
          byModel.set(model, add(byModel.get(model), minute, l));
          total = add(total, minute, l);
        }
      }
      const fin = (series: SeriesId, t: ReturnType<typeof add>) => {
        if (t.agg.requests === 0) return;
        t.agg.latency_p95_ms = t.hist.quantile(0.95);
        rows.push({ series, agg: t.agg });
      };
      for (const [f, t] of byFeature) fin({ feature: f, model: ALL }, t);
      for (const [m, t] of byModel) fin({ feature: ALL, model: m }, t);
      if (total) fin({ feature: ALL, model: ALL }, total);
      return { minute, rows };
    },
  };
}

import { twoProportionZTest, welchTTest, type TestResult } from '../stats.ts';
import type { ScoreSummary } from './report.ts';

/**
 * Candidate (this run) vs baseline (an earlier report), per score name, with the one-sided
 * tests of ../stats.ts: a drop in pass rate (two-proportion z-test) or in mean (Welch's
 * t-test) with p < alpha is a significant regression.
 */
export interface ScoreComparison {
  baseline: { mean: number | null; pass_rate: number | null; n: number; pass_n: number };
  candidate: { mean: number | null; pass_rate: number | null; n: number; pass_n: number };
  pass_rate_test: TestResult;
  mean_test: TestResult;
  regression: boolean;
  /** Which tests flagged it, e.g. "pass rate 0.60 → 0.45 (p = 0.017)". */
  reasons: string[];
}

export interface Comparison {
  alpha: number;
  tests: string;
  scores: Record<string, ScoreComparison>;
  regressions: string[];
  missing_in_candidate: string[];
  new_in_candidate: string[];
}

const fmt = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
const fmtP = (p: number) => (p === 0 ? '0' : p < 0.001 ? p.toExponential(1) : p.toFixed(3));

export function compareScore(base: ScoreSummary, cand: ScoreSummary, alpha: number): ScoreComparison {
  const pass = twoProportionZTest({ passed: base.passed, n: base.pass_n }, { passed: cand.passed, n: cand.pass_n });
  const mean = welchTTest({ mean: base.mean ?? 0, variance: base.variance ?? 0, n: base.n }, { mean: cand.mean ?? 0, variance: cand.variance ?? 0, n: cand.n });
  const reasons: string[] = [];
  if (pass.pValue !== null && pass.pValue < alpha) reasons.push(`pass rate ${fmt(base.pass_rate)} → ${fmt(cand.pass_rate)} (z-test p = ${fmtP(pass.pValue)})`);
  if (mean.pValue !== null && mean.pValue < alpha) reasons.push(`mean ${fmt(base.mean)} → ${fmt(cand.mean)} (Welch t-test p = ${fmtP(mean.pValue)})`);
  return {
    baseline: { mean: base.mean, pass_rate: base.pass_rate, n: base.n, pass_n: base.pass_n },
    candidate: { mean: cand.mean, pass_rate: cand.pass_rate, n: cand.n, pass_n: cand.pass_n },
    pass_rate_test: pass,
    mean_test: mean,
    regression: reasons.length > 0,
    reasons,
  };
}

export function compareReports(baseline: Record<string, ScoreSummary>, candidate: Record<string, ScoreSummary>, alpha = 0.05): Comparison {
  const scores: Record<string, ScoreComparison> = {};
  for (const [name, cand] of Object.entries(candidate)) {
    const base = baseline[name];
    if (base) scores[name] = compareScore(base, cand, alpha);
  }
  return {
    alpha,
    tests: 'one-sided (candidate lower): two-proportion z-test on pass rates (pooled), Welch t-test on means',
    scores,
    regressions: Object.entries(scores)
      .filter(([, c]) => c.regression)
      .map(([name]) => name),
    missing_in_candidate: Object.keys(baseline).filter((n) => !(n in candidate)),
    new_in_candidate: Object.keys(candidate).filter((n) => !(n in baseline)),
  };
}

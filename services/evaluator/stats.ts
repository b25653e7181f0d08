/**
 * The offline evaluator's view of the one-sided regression tests in
 * ../core/statistics.ts (H1: the candidate is lower; a p-value below alpha, 0.05 by
 * default, is a significant regression), adapted to the `TestResult` shape of its reports.
 */
import { twoProportionZTestOneSided, welchTTestOneSided, type Moments, type Proportion } from '../core/statistics.ts';

export type { Moments, Proportion };

export interface TestResult {
  /** The statistic (z or t); null when the test does not apply (too little data). */
  statistic: number | null;
  /** One-sided p-value for "candidate lower than baseline"; null when the test does not apply. */
  pValue: number | null;
  /** candidate − baseline. */
  diff: number;
  df?: number;
  note?: string;
}

export function twoProportionZTest(baseline: Proportion, candidate: Proportion): TestResult {
  const r = twoProportionZTestOneSided(baseline, candidate);
  switch (r.kind) {
    case 'empty_side':
      return { statistic: null, pValue: null, diff: Number.NaN, note: 'no pass/fail results on one side' };
    case 'no_variance':
      // pooled 0 or 1: both sides all-fail or all-pass, so they cannot differ.
      return { statistic: 0, pValue: 1, diff: r.difference, note: 'identical all-pass or all-fail' };
    case 'tested':
      return { statistic: r.z, pValue: r.pValue, diff: r.difference };
  }
}

export function welchTTest(baseline: Moments, candidate: Moments): TestResult {
  const r = welchTTestOneSided(baseline, candidate);
  switch (r.kind) {
    case 'too_few':
      return { statistic: null, pValue: null, diff: r.difference, note: 'needs at least 2 values on each side' };
    case 'no_variance':
      return { statistic: null, pValue: r.pValue, diff: r.difference, note: 'no variance on either side' };
    case 'tested':
      return { statistic: r.t, pValue: r.pValue, diff: r.difference, df: r.df };
  }
}

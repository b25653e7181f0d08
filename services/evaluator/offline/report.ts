import { z } from 'zod';
import type { EvalResult } from '../types.ts';

/**
 * The offline report: per score name, the counts and moments a later run needs to compare
 * against it (mean and sample variance of the values, passes out of pass/fail verdicts).
 */
export const REPORT_VERSION = 1;

export interface ScoreSummary {
  rule: string;
  evaluator: string;
  /** Rows evaluated (ok + error). */
  count: number;
  errors: number;
  /** Rows the rule's filter matched that lacked a field the evaluator needs. */
  not_applicable: number;
  /** Ok results with a value: the mean / variance sample. */
  n: number;
  mean: number | null;
  /** Sample variance (n − 1); null below 2 values. */
  variance: number | null;
  passed: number;
  /** Ok results with a pass/fail verdict. */
  pass_n: number;
  pass_rate: number | null;
}

export const scoreSummarySchema = z.object({
  rule: z.string(),
  evaluator: z.string(),
  count: z.number(),
  errors: z.number(),
  not_applicable: z.number(),
  n: z.number().int().min(0),
  mean: z.number().nullable(),
  variance: z.number().nullable(),
  passed: z.number().int().min(0),
  pass_n: z.number().int().min(0),
  pass_rate: z.number().nullable(),
});

/** What a baseline file must contain (an earlier report). */
export const baselineSchema = z.object({
  version: z.literal(REPORT_VERSION, { error: `expected a report of version ${REPORT_VERSION}` }),
  scores: z.record(z.string(), scoreSummarySchema),
});

/** Streaming mean/variance (Welford) and pass counts for one score name. */
export class ScoreAccumulator {
  private count = 0;
  private errors = 0;
  private notApplicable = 0;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private passed = 0;
  private passN = 0;
  constructor(
    readonly rule: string,
    readonly evaluator: string,
  ) {}

  notApplicableRow(): void {
    this.notApplicable++;
  }

  add(r: EvalResult): void {
    this.count++;
    if (r.status === 'error') {
      this.errors++;
      return;
    }
    if (r.value !== null) {
      this.n++;
      const d = r.value - this.mean;
      this.mean += d / this.n;
      this.m2 += d * (r.value - this.mean);
    }
    if (r.passed !== null) {
      this.passN++;
      if (r.passed) this.passed++;
    }
  }

  summary(): ScoreSummary {
    return {
      rule: this.rule,
      evaluator: this.evaluator,
      count: this.count,
      errors: this.errors,
      not_applicable: this.notApplicable,
      n: this.n,
      mean: this.n > 0 ? this.mean : null,
      variance: this.n > 1 ? this.m2 / (this.n - 1) : null,
      passed: this.passed,
      pass_n: this.passN,
      pass_rate: this.passN > 0 ? this.passed / this.passN : null,
    };
  }
}

import { z } from 'zod';
import { ErrorCodes, PipelineError } from '../../core/errors.ts';
import { formatPath } from '../../core/schema/trace-event.ts';
import type { EvalInput } from '../types.ts';
import type { FilterDim } from '../rules/compile.ts';

/**
 * An offline dataset: JSON Lines, one row per line, blank lines ignored:
 *   {"input": "…", "output": "…", "context"?: "…", "expected"?: "…", "id"?: "…",
 *    "feature"?, "model"?, "prompt_version"?, "environment"?, "finish_reason"?, "metadata"?}
 * Rules' filters apply to the dimensions a row gives; a dimension a row leaves out matches.
 */
const text = z.string({ error: 'expected a string' });
const optText = text.nullish().transform((v) => v ?? null);
export const datasetRowSchema = z.strictObject({
  id: z.union([z.string(), z.number()], { error: 'expected a string or number' }).optional(),
  input: text,
  output: text,
  context: optText,
  expected: optText,
  finish_reason: optText,
  feature: text.optional(),
  model: text.optional(),
  prompt_version: text.optional(),
  environment: text.optional(),
  metadata: z.record(z.string(), text, { error: 'expected an object of string values' }).optional(),
});

export type DatasetRow = z.output<typeof datasetRowSchema>;

export interface ParsedRow {
  line: number;
  row: DatasetRow;
  input: EvalInput;
  dims: Partial<Record<FilterDim, string>>;
}

export class DatasetError extends PipelineError {
  readonly issues: readonly string[];
  constructor(source: string, issues: readonly string[]) {
    const shown = issues.slice(0, 20);
    const more = issues.length > shown.length ? `\n  … and ${issues.length - shown.length} more` : '';
    super(ErrorCodes.VALIDATION_FAILED, `invalid dataset ${source}:\n  ${shown.join('\n  ')}${more}`);
    this.name = 'DatasetError';
    this.issues = issues;
  }
}

/** Parses every line; throws DatasetError listing each bad line as `line N: field: problem`. */
export function parseDataset(content: string, source = 'dataset'): ParsedRow[] {
  const rows: ParsedRow[] = [];
  const issues: string[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      issues.push(`line ${line}: not valid JSON: ${(err as Error).message}`);
      return;
    }
    const r = datasetRowSchema.safeParse(json);
    if (!r.success) {
      for (const issue of r.error.issues) {
        if (issue.code === 'unrecognized_keys') for (const k of issue.keys) issues.push(`line ${line}: ${formatPath([...issue.path, k])}: unknown field`);
        else issues.push(`line ${line}: ${formatPath(issue.path) || '(row)'}: ${issue.message}`);
      }
      return;
    }
    rows.push(toParsed(r.data, line));
  });
  if (issues.length > 0) throw new DatasetError(source, issues);
  if (rows.length === 0) throw new DatasetError(source, ['(file): no rows']);
  return rows;
}

function toParsed(row: DatasetRow, line: number): ParsedRow {
  const dims: Partial<Record<FilterDim, string>> = {};
  for (const d of ['feature', 'model', 'prompt_version', 'environment'] as const) if (row[d] !== undefined) dims[d] = row[d];
  return {
    line,
    row,
    dims,
    input: {
      trace_id: row.id !== undefined ? String(row.id) : `line-${line}`,
      timestamp: 0,
      feature: row.feature ?? '',
      model: row.model ?? '',
      prompt_version: row.prompt_version ?? '',
      environment: row.environment ?? '',
      input: row.input,
      output: row.output,
      context: row.context,
      expected: row.expected,
      finish_reason: row.finish_reason,
      metadata: row.metadata ?? {},
    },
  };
}

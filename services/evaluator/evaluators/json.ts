import { Ajv, type ValidateFunction } from 'ajv';
import type { ConfigOf } from '../rules/evaluator-schema.ts';
import type { Evaluator } from '../types.ts';
import { outputCheck, pass, stripCodeFence } from './result.ts';

/** json_valid: the output parses as JSON. json_schema: …and validates against a JSON schema (ajv). */

function parseOutput(output: string, allowFence: boolean): { ok: true; value: unknown } | { ok: false; reason: string } {
  const text = allowFence ? stripCodeFence(output) : output;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
}

export function createJsonValid(opts: ConfigOf<'json_valid'>, scoreName: string): Evaluator {
  const kind = 'json_valid';
  return outputCheck(kind, scoreName, (output) => {
    const parsed = parseOutput(output, opts.allow_code_fence);
    return pass(kind, scoreName, parsed.ok, parsed.ok ? null : parsed.reason);
  });
}

export function createJsonSchema(opts: ConfigOf<'json_schema'>, scoreName: string): Evaluator {
  const kind = 'json_schema';
  const validate: ValidateFunction = new Ajv({ allErrors: true, strict: false }).compile(opts.schema);
  return outputCheck(kind, scoreName, (output) => {
    const parsed = parseOutput(output, opts.allow_code_fence);
    if (!parsed.ok) return pass(kind, scoreName, false, parsed.reason);
    if (validate(parsed.value)) return pass(kind, scoreName, true, null);
    const errors = (validate.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
    return pass(kind, scoreName, false, `does not match the schema: ${errors.join('; ')}`);
  });
}

import type { z } from 'zod';

/** One validation error, naming the field it is about (`metadata.team`, `input_tokens`, …). */
export interface FieldError {
  field: string;
  message: string;
}

/** Errors as one line: `field: message; field: message`. */
export function describeErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => `${e.field}: ${e.message}`).join('; ');
}

/** A zod issue path as a field name: `a.b[0].c`; '' for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

/**
 * The issues of a failed safeParse of the object `input` → one error per problem:
 * "unknown field" per unrecognized key, "required field is missing" for an absent
 * top-level field, else zod's message under the field's path (`root` for the object itself).
 */
export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[], input: object, root: string): FieldError[] {
  const record = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) errors.push({ field: formatPath([...issue.path, key]), message: 'unknown field' });
    } else if (issue.path.length === 1 && issue.code === 'invalid_type' && record[issue.path[0] as string] === undefined) {
      errors.push({ field: formatPath(issue.path), message: 'required field is missing' });
    } else {
      errors.push({ field: formatPath(issue.path) || root, message: issue.message });
    }
  }
  return errors;
}

/** Issues of a config file as `path: message` lines ("(file)" for the root), every unknown key named. */
export function formatIssueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...issue.path, key])}: unknown field`);
    } else {
      out.push(`${formatPath(issue.path) || '(file)'}: ${issue.message}`);
    }
  }
  return out;
}

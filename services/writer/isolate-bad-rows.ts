import { PipelineError } from '../core/errors.ts';
import type { Store } from '../core/store/store.ts';

/**
 * ClickHouse error codes that mean "this data cannot be stored" (a value out of a column's
 * range, unparsable text, …) as opposed to an outage or a broken schema. Only these are
 * blamed on rows; anything else is thrown so the batch is retried and nothing is lost.
 */
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND (e.g. a Decimal too large)
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  407, // DECIMAL_OVERFLOW
]);

export function isDataError(err: unknown): boolean {
  return err instanceof PipelineError && !err.retryable && err.chCode !== undefined && DATA_ERROR_CODES.has(err.chCode);
}

/**
 * Insert `rows`; if ClickHouse rejects the data, bisect to find the rows it rejects and
 * insert the others. Sub-batches get tokens derived from `token` by their position, so a
 * replay of the same rows bisects the same way and stays idempotent.
 * Returns the indexes of the rejected rows with the error for each.
 */
export async function insertIsolatingBadRows(
  store: Store,
  table: string,
  rows: readonly Record<string, unknown>[],
  token: string,
  offset = 0,
): Promise<{ index: number; error: PipelineError }[]> {
  try {
    await store.insert(table, rows, { dedupToken: token });
    return [];
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (rows.length === 1) return [{ index: offset, error: err as PipelineError }];
    const mid = rows.length >> 1;
    const left = await insertIsolatingBadRows(store, table, rows.slice(0, mid), `${token}.0`, offset);
    const right = await insertIsolatingBadRows(store, table, rows.slice(mid), `${token}.1`, offset + mid);
    return [...left, ...right];
  }
}

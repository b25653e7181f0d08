/**
 * A named, parameterised ClickHouse query: `{ name, query, params, row }` (the shape
 * Trigger.dev's ClickHouse reader uses). `query` binds every value as `{name:Type}`;
 * `params` validates what is bound before it leaves the process, `row` what comes back,
 * so a schema drift fails loudly here instead of leaking odd JSON to clients.
 *
 * Large answers (thousands of rows) use a MappedQueryDef instead: `map` turns each row
 * into its final shape directly, checking only what it reads (a zod parse of every row
 * costs more than the query's own work on the rollups).
 */
import type { z } from 'zod';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Row, Store } from './store.ts';

export interface QueryDef<P extends z.ZodType, R extends z.ZodType> {
  name: string;
  query: string;
  params: P;
  row: R;
}

export function defineQuery<P extends z.ZodType, R extends z.ZodType>(def: QueryDef<P, R>): QueryDef<P, R> {
  return def;
}

export async function runQuery<P extends z.ZodType, R extends z.ZodType>(
  store: Store,
  def: QueryDef<P, R>,
  params: z.input<P>,
): Promise<z.output<R>[]> {
  const bound = def.params.safeParse(params);
  if (!bound.success) {
    // Callers validate requests first; reaching this is a bug, not a bad request.
    throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `query ${def.name}: invalid parameters`, { cause: bound.error });
  }
  const rows = await store.query(def.query, bound.data as Record<string, unknown>);
  return rows.map((row, i) => {
    const parsed = def.row.safeParse(row);
    if (!parsed.success) {
      throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `query ${def.name}: unexpected row ${i} shape`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  });
}

export interface MappedQueryDef<P extends z.ZodType, T> {
  name: string;
  query: string;
  params: P;
  /** One result row → its final shape; throws on a row it cannot read. */
  map: (row: Row, index: number) => T;
}

export async function runMappedQuery<P extends z.ZodType, T>(store: Store, def: MappedQueryDef<P, T>, params: z.input<P>): Promise<T[]> {
  const bound = def.params.safeParse(params);
  if (!bound.success) {
    throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `query ${def.name}: invalid parameters`, { cause: bound.error });
  }
  const rows = await store.query<Row>(def.query, bound.data as Record<string, unknown>);
  const out = new Array<T>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    try {
      out[i] = def.map(rows[i]!, i);
    } catch (err) {
      throw new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `query ${def.name}: unexpected row ${i} shape`, { cause: err });
    }
  }
  return out;
}

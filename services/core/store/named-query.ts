/**
 * A named, parameterised ClickHouse query: `{ name, query, params, row }` (the shape
 * Trigger.dev's ClickHouse reader uses). `query` binds every value as `{name:Type}`;
 * `params` validates what is bound before it leaves the process, `row` what comes back,
 * so a schema drift fails loudly here instead of leaking odd JSON to clients.
 *
 * Large answers (the metrics endpoints, thousands of rows) do not come through here:
 * their SQL shapes the rows and the engine's JSON lines are passed on as they are
 * (Store.queryJsonLines), a zod parse of every row costing more than the query itself.
 */
import type { z } from 'zod';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Store } from './store.ts';

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


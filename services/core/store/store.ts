/**
 * Store: the port every service uses for ClickHouse. Both adapters are
 * `@clickhouse/client`; they differ only in the connection (embedded chDB in-process,
 * or HTTP to a ClickHouse server / our embedded engine's HTTP interface), so the SQL is
 * identical. Contract (test/contract/store.contract.ts):
 * - `insert` resolves only when the rows are durable; with `dedupToken`, inserting the
 *   same rows again with the same token is a no-op (insert_deduplication_token).
 * - `query` binds every parameter as a ClickHouse query parameter ({name:Type});
 *   nothing from a caller is concatenated into SQL.
 * - errors are `PipelineError` (STORE_QUERY_FAILED, or STORE_UNAVAILABLE with
 *   `retryable`) carrying the ClickHouse code/type as `chCode`/`chType`.
 */
export type Row = Record<string, unknown>;

export interface InsertOptions {
  /** Makes a retried insert of the same batch idempotent. [A-Za-z0-9_.:-] only. */
  dedupToken?: string;
}

export interface Store {
  insert(table: string, rows: readonly Row[], options?: InsertOptions): Promise<void>;
  query<T = Row>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /**
   * The result as the engine wrote it in JSONEachRow, one object per line, unparsed: for
   * answers the caller passes on as JSON (64-bit integers as numbers unless the statement
   * sets otherwise; the statement shapes its own rows).
   */
  queryJsonLines(sql: string, params?: Record<string, unknown>): Promise<string>;
  /** DDL and statements with no result (migrations, OPTIMIZE, …). */
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

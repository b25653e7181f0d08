/**
 * The Store port on `@clickhouse/client`: one adapter for both stores. `embedded: true`
 * when the client runs on the in-process engine (createEmbeddedClient), false over HTTP
 * (a ClickHouse server, or the embedded engine's HTTP interface).
 *
 * Inserts (JSONEachRow). Every insert is
 *   INSERT INTO <table> SETTINGS insert_deduplication_token = '<token or empty>',
 *     date_time_input_format = 'best_effort' FORMAT JSONEachRow
 * i.e. the token is a setting of that one statement (a SETTINGS clause), never a
 * session setting: on the embedded path the chdb connection applies `clickhouse_settings`
 * as `SET k = v;` on its Session, where they stay set, so a token passed that way would
 * deduplicate the next insert of that client too. The clause also resets a token some
 * other code may have left set on the session ('' = no token).
 *
 * Deduplication only works on tables created with a deduplication window:
 *   ENGINE = MergeTree … SETTINGS non_replicated_deduplication_window = 1000
 * (Replicated tables have one by default). Then:
 * - same token again → the insert is a no-op (resolves; rows are not added twice);
 * - different token → inserted;
 * - no token → ClickHouse's default: a block whose content equals a recent insert
 *   without token is dropped as a retry; it never matches an insert that had a token.
 * Materialized views: the view still fires for a deduplicated insert; its rows are
 * dropped only if the view's TARGET table also has a deduplication window
 * (deduplicate_blocks_in_dependent_materialized_views = 1, the default). Without it a
 * replayed batch is counted twice in the rollup.
 *
 * Query results are JSONEachRow with 64-bit integers AND decimals as strings (exact;
 * `output_format_json_quote_64bit_integers` / `output_format_json_quote_decimals`);
 * Float64 are numbers, DateTime64 'YYYY-MM-DD hh:mm:ss.fff' strings, Map objects.
 *
 * Durability: `insert` resolves when the engine has written the part (no fsync is
 * forced; MergeTree's `fsync_after_insert` exists for that).
 *
 * Errors are PipelineError with `chCode`/`chType` when ClickHouse raised them:
 * - STORE_QUERY_FAILED, not retryable: the statement is wrong (UNKNOWN_TABLE,
 *   SYNTAX_ERROR, TYPE_MISMATCH, bad data, …) or the caller passed bad input;
 * - STORE_UNAVAILABLE, retryable: connection refused/reset, timeouts, socket errors,
 *   an HTTP error without a ClickHouse code (e.g. a proxy's 502/503), and the ClickHouse
 *   codes that mean "try later" (TIMEOUT_EXCEEDED, TOO_MANY_SIMULTANEOUS_QUERIES,
 *   MEMORY_LIMIT_EXCEEDED, TOO_MANY_PARTS, NETWORK_ERROR, …);
 * - SHUTTING_DOWN, not retryable, after close().
 */
import { Readable } from 'node:stream';
import { isEmbeddedClient } from './clients.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { ErrorCodes, PipelineError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { InsertOptions, Row, Store } from './store.ts';

export interface ClickHouseStoreOptions {
  client: ClickHouseClient;
  log: Logger;
  /** The client runs on the in-process engine (chDB). */
  embedded: boolean;
}

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const TOKEN_RE = /^[A-Za-z0-9_.:-]{1,256}$/;

/** Applied to every query: exact 64-bit integers and decimals. */
const QUERY_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
} as const;

/** queryJsonLines: numbers as JSON numbers (the caller passes them on; exact to 2^53). */
const JSON_LINES_SETTINGS = {
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_decimals: 0,
} as const;

/** ClickHouse codes where the same statement may succeed later. */
const TRANSIENT_CH_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  319, // UNKNOWN_STATUS_OF_INSERT
  394, // QUERY_WAS_CANCELLED
  439, // CANNOT_SCHEDULE_TASK
  745, // SERVER_OVERLOADED
  999, // KEEPER_EXCEPTION
]);

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const NETWORK_MESSAGE_RE = /timeout error|timed out|socket hang up|ECONNREFUSED|ECONNRESET|EPIPE|network|other side closed/i;

/** A ClickHouse exception (from the server, or chDB), told apart by shape: the client
 *  bundles its own copy of ClickHouseError, and chdb uses another. */
function clickHouseCodeOf(err: unknown): { code: number; type: string } | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; type?: unknown; clickhouseCode?: unknown; message?: unknown };
  if (typeof e.code === 'string' && /^\d+$/.test(e.code) && typeof e.type === 'string') return { code: Number(e.code), type: e.type };
  if (typeof e.clickhouseCode === 'number') {
    const m = typeof e.message === 'string' ? [...e.message.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)] : [];
    return { code: e.clickhouseCode, type: m.length > 0 ? m[m.length - 1]![1]! : 'UNKNOWN' };
  }
  return undefined;
}

/**
 * Maps what the client threw to a PipelineError. `phase` 'request' = while sending the
 * statement / waiting for the response; 'decode' = while reading a successful response.
 */
export function toStoreError(err: unknown, ctx: { op: string; embedded: boolean; phase: 'request' | 'decode'; closed?: boolean }): PipelineError {
  if (err instanceof PipelineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.closed) return new PipelineError(ErrorCodes.SHUTTING_DOWN, `store ${ctx.op}: the store is closed`, { cause: err });
  const ch = clickHouseCodeOf(err);
  if (ch) {
    const retryable = TRANSIENT_CH_CODES.has(ch.code);
    return new PipelineError(retryable ? ErrorCodes.STORE_UNAVAILABLE : ErrorCodes.STORE_QUERY_FAILED, `store ${ctx.op}: ClickHouse ${ch.code} ${ch.type}: ${message}`, {
      cause: err,
      retryable,
      chCode: ch.code,
      chType: ch.type,
    });
  }
  const errno = (err as { code?: unknown } | null)?.code;
  const network = (typeof errno === 'string' && NETWORK_ERRNOS.has(errno)) || NETWORK_MESSAGE_RE.test(message);
  if (network || (!ctx.embedded && ctx.phase === 'request')) {
    // Over HTTP, a failure without a ClickHouse code is the transport's or a proxy's.
    return new PipelineError(ErrorCodes.STORE_UNAVAILABLE, `store ${ctx.op}: ClickHouse unavailable: ${message}`, { cause: err, retryable: true });
  }
  return new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `store ${ctx.op}: ${message}`, { cause: err, retryable: false });
}

function invalid(op: string, why: string): PipelineError {
  return new PipelineError(ErrorCodes.STORE_QUERY_FAILED, `store ${op}: ${why}`, { retryable: false });
}

/** Values @clickhouse/client can bind as query parameters. */
function checkParam(op: string, name: string, v: unknown, depth = 0): void {
  if (depth > 32) throw invalid(op, `query parameter ${name} is nested too deeply`);
  if (v === null || v === undefined) return;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return;
    case 'number':
      return;
    case 'object':
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) throw invalid(op, `query parameter ${name} is an invalid Date`);
        return;
      }
      if (Array.isArray(v)) {
        for (const x of v) checkParam(op, name, x, depth + 1);
        return;
      }
      if (v instanceof Map) {
        for (const [k, x] of v) {
          checkParam(op, name, k, depth + 1);
          checkParam(op, name, x, depth + 1);
        }
        return;
      }
      for (const x of Object.values(v as object)) checkParam(op, name, x, depth + 1);
      return;
    default:
      throw invalid(op, `query parameter ${name} has an unsupported type (${typeof v})`);
  }
}

/**
 * Validates parameters and gives Dates one form on both paths: the unix timestamp
 * @clickhouse/client sends over HTTP ('1714979289' or '1714979289.456'). The chdb
 * connection would bind a Date as 'YYYY-MM-DD hh:mm:ss', dropping the milliseconds.
 */
function prepareParams(op: string, params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw invalid(op, `invalid query parameter name ${JSON.stringify(k)}`);
    checkParam(op, k, v);
    out[k] = datesAsTimestamps(v);
  }
  return out;
}

function datesAsTimestamps(v: unknown): unknown {
  if (v instanceof Date) {
    const ms = v.getTime();
    const sec = Math.floor(ms / 1000);
    const frac = ms - sec * 1000;
    return frac === 0 ? String(sec) : `${sec}.${String(frac).padStart(3, '0')}`;
  }
  if (Array.isArray(v)) return v.map(datesAsTimestamps);
  return v;
}

/** JSON for ClickHouse: bigint → string (exact), Map → object (a Map column). Dates
 *  arrive here already as ISO strings, read with date_time_input_format = best_effort. */
function jsonValue(_key: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** One row as JSON; the replacer (slow: it turns off V8's fast path) only for rows that
 *  need it: a top-level bigint or Map, or a bigint deeper inside (stringify throws). */
function rowJson(row: Row): string {
  for (const k in row) {
    const v = row[k];
    if (typeof v === 'bigint' || v instanceof Map) return JSON.stringify(row, jsonValue);
  }
  try {
    return JSON.stringify(row);
  } catch {
    return JSON.stringify(row, jsonValue);
  }
}

function jsonEachRow(op: string, rows: readonly Row[]): string {
  let text = '';
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw invalid(op, `row ${i} is not an object`);
    text += `${rowJson(row)}\n`;
  }
  return text;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of stream) {
    /* discard */
  }
}

/** Settings of every insert (the token is added per insert). */
const INSERT_SETTINGS = { deduplicate_blocks_in_dependent_materialized_views: 1, date_time_input_format: 'best_effort' } as const;

export function createClickHouseStore(options: ClickHouseStoreOptions): Store {
  const { client, embedded } = options;
  const rawInsert = embedded && isEmbeddedClient(client) ? client.insertRaw : null;
  const log = options.log;
  let closed = false;

  async function request<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (closed) throw toStoreError(new Error('closed'), { op, embedded, phase: 'request', closed: true });
    try {
      return await fn();
    } catch (err) {
      const e = toStoreError(err, { op, embedded, phase: 'request', closed });
      log.debug({ err: e, op, chCode: e.chCode, retryable: e.retryable }, 'store operation failed');
      throw e;
    }
  }

  return {
    async insert(table: string, rows: readonly Row[], insertOptions: InsertOptions = {}): Promise<void> {
      const op = `insert into ${table}`;
      if (!TABLE_RE.test(table)) throw invalid(op, `invalid table name ${JSON.stringify(table)}`);
      const token = insertOptions.dedupToken ?? '';
      if (token !== '' && !TOKEN_RE.test(token)) throw invalid(op, `invalid dedupToken ${JSON.stringify(token)}: [A-Za-z0-9_.:-]{1,256} only`);
      if (rows.length === 0) return;
      const body = jsonEachRow(op, rows);
      if (rawInsert) {
        // The engine's own insert path: the bytes go to its parser as they are, never
        // spliced into SQL text (where chDB would end the statement at a blank line).
        await request(op, () => rawInsert(table, Buffer.from(body, 'utf8'), { ...INSERT_SETTINGS, insert_deduplication_token: token }));
        return;
      }
      const query = `INSERT INTO ${table} SETTINGS insert_deduplication_token = '${token}', deduplicate_blocks_in_dependent_materialized_views = 1, date_time_input_format = 'best_effort' FORMAT JSONEachRow`;
      // The chdb connection reads `values` into one string anyway: hand it the string
      // (no UTF-8 encode here and decode there, twice the batch's size each).
      const values = embedded ? (body as unknown as Readable) : Readable.from([Buffer.from(body, 'utf8')]);
      await request(op, async () => {
        const res = await client.exec({ query, values });
        await drain(res.stream);
      });
    },

    async query<T = Row>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
      const op = 'query';
      const queryParams = prepareParams(op, params);
      const rs = await request(op, () => client.query({ query: sql, format: 'JSONEachRow', query_params: queryParams, clickhouse_settings: QUERY_SETTINGS }));
      try {
        return await rs.json<T>();
      } catch (err) {
        throw toStoreError(err, { op, embedded, phase: 'decode', closed });
      }
    },

    async queryJsonLines(sql: string, params?: Record<string, unknown>): Promise<string> {
      const op = 'query';
      const queryParams = prepareParams(op, params);
      const rs = await request(op, () => client.query({ query: sql, format: 'JSONEachRow', query_params: queryParams, clickhouse_settings: JSON_LINES_SETTINGS }));
      try {
        return await rs.text();
      } catch (err) {
        throw toStoreError(err, { op, embedded, phase: 'decode', closed });
      }
    },

    async command(sql: string, params?: Record<string, unknown>): Promise<void> {
      const op = 'command';
      const queryParams = prepareParams(op, params);
      await request(op, async () => {
        await client.command({ query: sql, query_params: queryParams });
      });
    },

    async ping(): Promise<boolean> {
      if (closed) return false;
      try {
        const r = await client.ping();
        if (!r.success) log.debug({ err: r.error }, 'store ping failed');
        return r.success;
      } catch (err) {
        log.debug({ err }, 'store ping failed');
        return false;
      }
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/**
 * The embedded engine (chDB on `dataDir`) served over the ClickHouse HTTP interface, so
 * curl, `@clickhouse/client` (plain HTTP, no chdb hook), Grafana or DBeaver use it as
 * they would a ClickHouse server, and separate service processes can share the one
 * process that owns the data directory.
 *
 * What a request goes through, as on a ClickHouse server:
 * - `GET /ping`, `GET /` (no query) → `Ok.\n`.
 * - query text = `?query=` + '\n' + body (either may be empty); for `INSERT … FORMAT x`
 *   or `INSERT … VALUES` the data follows the statement. `param_<name>` URL parameters
 *   are query parameters; other URL parameters are settings for this request only;
 *   `database`, `default_format` (default TabSeparated), `query_id` are understood;
 *   `multipart/form-data` bodies carry `query` / `param_*` fields.
 * - auth: X-ClickHouse-User/X-ClickHouse-Key, HTTP Basic, or user/password URL
 *   parameters (mixing them is refused); unknown user / wrong password → 516
 *   AUTHENTICATION_FAILED with HTTP 403, no password for a user that needs one → 194
 *   REQUIRED_PASSWORD with HTTP 401 (the server's exceptionCodeToHTTPStatus).
 * - errors: body `Code: N. DB::Exception: … (TYPE) (version …)`, header
 *   `X-ClickHouse-Exception-Code: N`, the server's HTTP status for N.
 * - HTTP compression: `enable_http_compression=1` + Accept-Encoding gzip|br|deflate
 *   compresses the response; a `Content-Encoding: gzip|br|deflate` request body is
 *   decompressed. ClickHouse's own `compress`/`decompress` (LZ4 blocks) is not supported.
 * - X-ClickHouse-Query-Id, X-ClickHouse-Format, X-ClickHouse-Summary, X-ClickHouse-Timezone.
 *
 * Roles:
 * - analysts (default: user `default`, no password) are read-only at the engine level:
 *   their queries run on chDB Sessions where `SET readonly = 1` ran first, so the engine
 *   itself refuses writes and setting changes (SETTINGS clauses, SET). Before that, only
 *   SELECT/WITH/SHOW/DESCRIBE/DESC/EXPLAIN/EXISTS are let through (164 READONLY), and
 *   URL settings are refused except the HTTP-level ones clients send by default and a
 *   few output-format ones (applied before `readonly = 1` on a fresh Session).
 *   `readonly = 1` is not enough on chDB (the `file()` scalar function, `DESC url(…)`,
 *   INTO OUTFILE and system.processes all pass it): an analyst's query is normalised by
 *   the engine, checked on that normal form and on its `EXPLAIN AST`, and the normal form
 *   is what runs; functions reaching files, URLs, other servers or processes, table
 *   functions outside an allow-list and system tables that leak other sessions' queries
 *   are refused with 497 ACCESS_DENIED (analyst-guard.ts). Analysts' Sessions also carry
 *   resource limits (DEFAULT_ANALYST_SETTINGS, `analystSettings`), set before
 *   `readonly = 1` so they cannot be lifted.
 * - the service user may write (INSERT with data, DDL) and pass any setting; it is
 *   trusted, and its queries run as sent (after the checks below).
 * - GET requests are read-only for everyone, as on a server.
 *
 * Differences from chDB's own behaviour that this layer closes (chDB is clickhouse-local):
 * - several statements in one text are all executed by chDB; a server refuses them
 *   ("Multi-statements are not allowed") and so does this layer;
 * - `INTO OUTFILE` / `FROM INFILE` would read/write this host's files (even on a
 *   readonly Session): refused, whatever separates the keywords (comments, the Unicode
 *   spaces the engine's lexer skips);
 * - inline INSERT data ends at the first empty line in chDB and the rest is run as SQL:
 *   so INSERT data is never inlined; it is written to a temporary file and inserted with
 *   `INSERT … FROM INFILE`, which reads any format (text or binary) byte for byte;
 * - chDB defaults that differ from a server's are reset on every Session:
 *   output_format_json_quote_64bit_integers = 1, implicit_select = 0,
 *   allow_introspection_functions = 0.
 *
 * Per-request state (settings, query parameters, `database`, SET/USE statements,
 * temporary tables) is never left on a pooled Session: such requests run on a fresh
 * Session (see session-pool.ts for the measured cost). `session_id` is accepted and
 * ignored: every request is independent, as without a session on a server.
 *
 * Not supported: query cancellation (a chDB query runs to completion even if the client
 * goes away: for analysts, max_execution_time is what stops it), progress headers,
 * external data tables, ClickHouse native compression.
 */
import { randomUUID, createHash, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Session, type ChdbResult } from 'chdb';
import type { Logger } from '../core/logger.ts';
import { ChCodes, ClickHouseHttpError, errorBody, httpStatusForCode } from './ch-errors.ts';
import { SessionPool } from './session-pool.ts';
import { SqlLexError, analyzeQuery, isPlainIdentifier, isReadOnlyKind, isStatementKeyword, sqlStringLiteral, type QueryAnalysis } from './sql-analyzer.ts';
import {
  checkAst,
  checkNormalisedText,
  deniedFunctionSet,
  normaliseError,
  normaliseSql,
  parseAstDump,
  type AnalystCheckContext,
  type DeniedFunctions,
} from './analyst-guard.ts';

export interface ClickHouseHttpUser {
  username: string;
  /** Omitted: no password required (any password is accepted, as for a ClickHouse `no_password` user). */
  password?: string;
}

export interface ClickHouseHttpInterfaceOptions {
  /** The data directory; chDB binds one per process (the embedded store must use the same). */
  dataDir: string;
  /** The one credential allowed to write. Omitted: the interface is read-only for everyone. */
  serviceUser?: { username: string; password: string };
  /** Read-only users. Default: `default` with no password. */
  analystUsers?: ClickHouseHttpUser[];
  /** Sessions (= queries running at once) per role. Default 4. */
  maxConcurrentQueries?: number;
  /** Requests per role waiting for a Session before TOO_MANY_SIMULTANEOUS_QUERIES. Default 64. */
  maxQueuedQueries?: number;
  /** Largest request body, after decompression. Default 128 MiB. */
  maxBodyBytes?: number;
  /**
   * Settings fixed on analysts' Sessions before `readonly = 1` (so analysts cannot change
   * them), merged over DEFAULT_ANALYST_SETTINGS; e.g. { max_execution_time: 30 }. A limit
   * set to 0 is no limit.
   */
  analystSettings?: Record<string, string | number>;
  log: Logger;
}

type Role = 'service' | 'analyst';

interface AuthenticatedUser {
  name: string;
  role: Role;
}

/** URL parameters that are not engine settings. */
const NON_SETTING_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'session_id',
  'session_timeout',
  'session_check',
  'user',
  'password',
  'quota_key',
  'role',
  'stacktrace',
  'compress',
  'decompress',
  'buffer_size',
  'client_protocol_version',
]);

/** HTTP-level settings: meaningful to the HTTP layer only (chDB would reject them as unknown). */
const HTTP_ONLY_SETTINGS = new Set([
  'wait_end_of_query',
  'http_wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_response_compression_method',
  'add_http_cors_header',
  'cancel_http_readonly_queries_on_client_close',
]);

/** Output-only settings analysts may pass (applied before `readonly = 1` on a fresh Session). */
const ANALYST_OUTPUT_SETTINGS = new Set([
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_64bit_floats',
  'output_format_json_quote_decimals',
  'output_format_json_quote_denormals',
  'output_format_decimal_trailing_zeros',
  'date_time_output_format',
]);

/** chDB (clickhouse-local) defaults that differ from a ClickHouse server's, reset on every Session. */
const SERVER_PARITY_SQL = 'SET output_format_json_quote_64bit_integers = 1; SET implicit_select = 0; SET allow_introspection_functions = 0; ';

/**
 * Resource limits on analysts' queries. A chDB query cannot be cancelled (not even when
 * the client goes away), so these are what stops a runaway one: the engine aborts it
 * (TIMEOUT_EXCEEDED, MEMORY_LIMIT_EXCEEDED, TOO_MANY_ROWS_OR_BYTES). max_memory_usage is
 * per query: with the default 4 analyst Sessions at most 8 GB in all. The result limits
 * bound what this process buffers (a chDB result is held in memory whole).
 */
export const DEFAULT_ANALYST_SETTINGS: Readonly<Record<string, number>> = {
  max_execution_time: 60,
  max_memory_usage: 2_000_000_000,
  max_result_rows: 1_000_000,
  max_result_bytes: 1_000_000_000,
};

const DEFAULT_FORMAT = 'TabSeparated';
const OK_BODY = 'Ok.\n';
const SYNC_COMPRESS_LIMIT = 1 << 20;

function truthy(v: string | null | undefined): boolean {
  return v === '1' || v === 'true';
}

function setStatement(name: string, value: string): string {
  if (!isPlainIdentifier(name)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Invalid setting name: ${JSON.stringify(name)}`);
  return `SET ${name} = ${sqlStringLiteral(value)}; `;
}

function sqlText(text: Buffer): string {
  return text.subarray(0, 4096).toString('utf8');
}

function backquote(name: string): string {
  return '`' + name.replace(/\\/g, '\\\\').replace(/`/g, '\\`') + '`';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return `text/csv; charset=UTF-8; header=${f.includes('withnames') ? 'present' : 'absent'}`;
  if (f.includes('eachrow') || f === 'jsonlines' || f === 'ndjson') return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('json')) return 'application/json; charset=UTF-8';
  if (['native', 'rowbinary', 'parquet', 'arrow', 'arrowstream', 'orc', 'avro', 'msgpack', 'protobuf', 'capnproto', 'npy'].some((b) => f.startsWith(b))) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}

function decodeBody(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity' || body.length === 0) return body;
  const opts = { maxOutputLength: maxBytes };
  try {
    if (enc === 'gzip' || enc === 'x-gzip') return zlib.gunzipSync(body, opts);
    if (enc === 'deflate') return zlib.inflateSync(body, opts);
    if (enc === 'br') return zlib.brotliDecompressSync(body, opts);
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw ClickHouseHttpError.of('QUERY_IS_TOO_LARGE', `Request body is larger than ${maxBytes} bytes after decompression`);
    }
    throw ClickHouseHttpError.of('CANNOT_DECOMPRESS', `Cannot decompress the request body (Content-Encoding: ${enc}): ${(err as Error).message}`);
  }
  throw ClickHouseHttpError.of('UNSUPPORTED_MEDIA_TYPE', `Unknown Content-Encoding of HTTP request: ${enc}`);
}

/** multipart/form-data fields (text parts); file parts (external tables) are refused. */
function parseMultipart(body: Buffer, contentType: string): Array<[string, string]> {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw ClickHouseHttpError.of('BAD_ARGUMENTS', 'multipart/form-data without a boundary');
  const delim = Buffer.from(`--${boundary}`);
  const out: Array<[string, string]> = [];
  let pos = body.indexOf(delim);
  while (pos >= 0) {
    const partStart = pos + delim.length;
    if (body.subarray(partStart, partStart + 2).toString() === '--') break;
    const next = body.indexOf(delim, partStart);
    if (next < 0) break;
    let part = body.subarray(partStart, next);
    if (part.subarray(0, 2).toString() === '\r\n') part = part.subarray(2);
    if (part.subarray(part.length - 2).toString() === '\r\n') part = part.subarray(0, part.length - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const value = part.subarray(headerEnd + 4).toString('utf8');
      const name = /name="([^"]*)"/i.exec(headers)?.[1];
      if (/filename=/i.test(headers)) throw ClickHouseHttpError.of('NOT_IMPLEMENTED', 'External data (multipart file parts) is not supported');
      if (name) out.push([name, value]);
    }
    pos = next;
  }
  return out;
}

const gzipAsync = promisify(zlib.gzip);
const deflateAsync = promisify(zlib.deflate);
const brotliAsync = promisify(zlib.brotliCompress);

async function compress(body: Buffer, encoding: 'gzip' | 'deflate' | 'br', level: number): Promise<Buffer> {
  const zopts = { level };
  const bopts = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: Math.min(11, Math.max(0, level)) } };
  if (body.length <= SYNC_COMPRESS_LIMIT) {
    if (encoding === 'gzip') return zlib.gzipSync(body, zopts);
    if (encoding === 'deflate') return zlib.deflateSync(body, zopts);
    return zlib.brotliCompressSync(body, bopts);
  }
  if (encoding === 'gzip') return gzipAsync(body, zopts);
  if (encoding === 'deflate') return deflateAsync(body, zopts);
  return brotliAsync(body, bopts);
}

function pickEncoding(acceptEncoding: string | undefined): 'gzip' | 'deflate' | 'br' | undefined {
  const accepted = (acceptEncoding ?? '').toLowerCase().split(',').map((s) => s.trim().split(';')[0]);
  for (const e of ['gzip', 'br', 'deflate'] as const) if (accepted.includes(e)) return e;
  return undefined;
}

interface EngineMeta {
  version: string;
  timezone: string;
  outputFormats: Map<string, string>;
}

export function buildClickHouseHttpInterface(options: ClickHouseHttpInterfaceOptions): FastifyInstance {
  const log = options.log;
  const maxBodyBytes = options.maxBodyBytes ?? 128 * 1024 * 1024;
  const poolSize = options.maxConcurrentQueries ?? 4;
  const maxQueued = options.maxQueuedQueries ?? 64;
  const analysts = options.analystUsers ?? [{ username: 'default' }];
  const service = options.serviceUser;
  if (service && analysts.some((a) => a.username === service.username)) {
    throw new Error(`buildClickHouseHttpInterface: user ${service.username} is both the service user and an analyst`);
  }
  const analystSettingsSql = Object.entries({ ...DEFAULT_ANALYST_SETTINGS, ...options.analystSettings })
    .map(([k, v]) => setStatement(k, String(v)))
    .join('');
  const serviceInit = SERVER_PARITY_SQL;
  const analystInit = `${SERVER_PARITY_SQL}${analystSettingsSql}SET readonly = 1; `;
  const displayName = hostname();

  let meta: EngineMeta = { version: 'unknown', timezone: 'UTC', outputFormats: new Map() };
  let deniedFunctions: DeniedFunctions = deniedFunctionSet();
  let anchor: Session | undefined;
  let insertDir: string | undefined;
  const pools = {
    service: new SessionPool({ dataDir: options.dataDir, name: 'service', size: poolSize, maxQueued, initSql: serviceInit, log }),
    analyst: new SessionPool({ dataDir: options.dataDir, name: 'analyst', size: poolSize, maxQueued, initSql: analystInit, log }),
  };

  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  app.addHook('onReady', async () => {
    // The anchor keeps the engine open between requests (fresh Sessions are then cheap),
    // and answers the metadata questions.
    anchor = new Session(options.dataDir);
    const info = (await anchor.queryAsync('SELECT version() AS v, timezone() AS tz', { format: 'JSONEachRow' })).json<{ v: string; tz: string }>();
    const formats = (await anchor.queryAsync('SELECT name FROM system.formats WHERE is_output', { format: 'JSONEachRow' })).text();
    const outputFormats = new Map<string, string>();
    for (const line of formats.split('\n')) {
      if (!line) continue;
      const name = (JSON.parse(line) as { name: string }).name;
      outputFormats.set(name.toLowerCase(), name);
    }
    meta = { version: info.v, timezone: info.tz, outputFormats };
    // Every table function this engine has that analysts may not use, and aliases.
    const tableFunctions = (await anchor.queryAsync('SELECT name FROM system.table_functions', { format: 'JSONEachRow' })).text();
    const aliases = (await anchor.queryAsync("SELECT name, alias_to FROM system.functions WHERE alias_to != ''", { format: 'JSONEachRow' })).text();
    const rows = <T>(text: string) => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
    deniedFunctions = deniedFunctionSet(
      rows<{ name: string }>(tableFunctions).map((r) => r.name),
      rows<{ name: string; alias_to: string }>(aliases).map((r) => [r.name, r.alias_to] as const),
    );
    insertDir = mkdtempSync(join(tmpdir(), 'ch-http-insert-'));
    log.debug({ version: meta.version, dataDir: options.dataDir }, 'ClickHouse HTTP interface ready');
  });

  app.addHook('onClose', async () => {
    pools.service.close();
    pools.analyst.close();
    anchor?.close();
    anchor = undefined;
    if (insertDir) rmSync(insertDir, { recursive: true, force: true });
  });

  const isFormat = (name: string) => meta.outputFormats.has(name.toLowerCase());

  /**
   * An analyst's query, normalised by the engine and checked in that form (see
   * analyst-guard.ts); returns the normal form, which is what must be executed. Runs the
   * request's prelude first (settings, parameters, USE) so the checks see what the
   * execution will: `{p:Identifier}` parameters substituted, the current database.
   */
  async function checkAnalystQuery(session: Session, prelude: string, text: string, ctx: AnalystCheckContext): Promise<{ sql: string; analysis: QueryAnalysis }> {
    let row: { normalised?: unknown; again?: unknown };
    try {
      row = JSON.parse((await session.queryAsync(prelude + normaliseSql(text), { format: 'JSONEachRow' })).text()) as typeof row;
    } catch (err) {
      throw normaliseError(err);
    }
    const { normalised, again } = row;
    if (typeof normalised !== 'string' || typeof again !== 'string') throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Cannot check the query: the engine did not normalise it');
    if (normalised !== again) {
      throw ClickHouseHttpError.of('SYNTAX_ERROR', `Cannot check the query: the engine does not format it stably (${JSON.stringify(normalised.slice(0, 200))} is formatted as ${JSON.stringify(again.slice(0, 200))}); write it differently`);
    }
    const analysis = checkNormalisedText(normalised, ctx, isFormat);
    const dump = (await session.queryAsync(`EXPLAIN AST ${normalised}`, { format: 'JSONEachRow' })).text();
    const lines = dump
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { explain?: unknown }).explain);
    if (!lines.every((l): l is string => typeof l === 'string')) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Cannot check the query: unexpected EXPLAIN AST output');
    checkAst(parseAstDump(lines), ctx);
    return { sql: normalised, analysis };
  }

  function commonHeaders(reply: FastifyReply): void {
    reply.header('X-ClickHouse-Server-Display-Name', displayName);
    reply.header('X-ClickHouse-Timezone', meta.timezone);
  }

  function sendError(reply: FastifyReply, err: unknown): FastifyReply {
    const e = err instanceof ClickHouseHttpError ? err : ClickHouseHttpError.fromEngine(err);
    const status = httpStatusForCode(e.chCode);
    if (e.chCode === ChCodes.REQUIRED_PASSWORD) reply.header('WWW-Authenticate', 'Basic realm="ClickHouse server HTTP API"');
    if (status >= 500) log.warn({ err: e, code: e.chCode }, 'ClickHouse HTTP query failed');
    commonHeaders(reply);
    return reply
      .code(status)
      .header('X-ClickHouse-Exception-Code', String(e.chCode))
      .header('Content-Type', 'text/plain; charset=UTF-8')
      .send(errorBody(e, meta.version));
  }

  function authenticate(req: FastifyRequest, params: URLSearchParams): AuthenticatedUser {
    const hUser = String(req.headers['x-clickhouse-user'] ?? '');
    const hKey = String(req.headers['x-clickhouse-key'] ?? '');
    const authz = req.headers.authorization;
    const inParams = params.has('user') || params.has('password');
    let user: string;
    let password: string;
    const mixed = (a: string, b: string) =>
      ClickHouseHttpError.of('AUTHENTICATION_FAILED', `Invalid authentication: it is not allowed to use ${a} and ${b} simultaneously`);
    if (hUser !== '' || hKey !== '') {
      if (authz) throw mixed('X-ClickHouse HTTP headers', 'Authorization HTTP header');
      if (inParams) throw mixed('X-ClickHouse HTTP headers', 'authentication via parameters');
      user = hUser;
      password = hKey;
      if (user === '') throw ClickHouseHttpError.of('AUTHENTICATION_FAILED', 'Got an empty user name from X-ClickHouse HTTP headers');
    } else if (authz) {
      if (inParams) throw mixed('Authorization HTTP header', 'authentication via parameters');
      const [scheme, info = ''] = authz.split(/\s+/, 2) as [string, string?];
      if (scheme.toLowerCase() !== 'basic') {
        throw ClickHouseHttpError.of('AUTHENTICATION_FAILED', `Invalid authentication: '${scheme}' HTTP Authorization scheme is not supported`);
      }
      const decoded = Buffer.from(info, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = colon < 0 ? decoded : decoded.slice(0, colon);
      password = colon < 0 ? '' : decoded.slice(colon + 1);
      if (user === '') throw ClickHouseHttpError.of('AUTHENTICATION_FAILED', 'Got an empty user name from Authorization HTTP header');
    } else {
      user = params.get('user') ?? 'default';
      password = params.get('password') ?? '';
      if (user === '') throw ClickHouseHttpError.of('AUTHENTICATION_FAILED', 'Got an empty user name from authentication via parameters');
    }

    const failed = () =>
      ClickHouseHttpError.of('AUTHENTICATION_FAILED', `${user}: Authentication failed: password is incorrect, or there is no user with such name`);
    const check = (expected: string | undefined): void => {
      if (expected === undefined) return;
      if (password === '' && expected !== '') {
        throw ClickHouseHttpError.of('REQUIRED_PASSWORD', `${user}: Authentication failed: a password is required for this user`);
      }
      if (!sameSecret(password, expected)) throw failed();
    };
    if (service && user === service.username) {
      check(service.password);
      return { name: user, role: 'service' };
    }
    const analyst = analysts.find((a) => a.username === user);
    if (!analyst) {
      sameSecret(password, password); // similar work whether or not the user exists
      throw failed();
    }
    check(analyst.password);
    return { name: user, role: 'analyst' };
  }

  async function handleQuery(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const started = process.hrtime.bigint();
    const rawUrl = req.raw.url ?? '/';
    const qIdx = rawUrl.indexOf('?');
    const params = new URLSearchParams(qIdx >= 0 ? rawUrl.slice(qIdx + 1) : '');
    const queryId = params.get('query_id') || randomUUID();
    reply.header('X-ClickHouse-Query-Id', queryId);

    let body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    body = decodeBody(body, req.headers['content-encoding'], maxBodyBytes);
    const contentType = req.headers['content-type'] ?? '';
    if (contentType.toLowerCase().startsWith('multipart/form-data')) {
      for (const [k, v] of parseMultipart(body, contentType)) params.append(k, v);
      body = Buffer.alloc(0);
    }

    const queryParam = params.get('query') ?? '';
    if (req.method === 'GET' && queryParam === '' && body.length === 0) {
      // as a server's default handler for `/`: a health check, no authentication
      commonHeaders(reply);
      return reply.header('Content-Type', 'text/html; charset=UTF-8').send(OK_BODY);
    }
    const user = authenticate(req, params);
    if (truthy(params.get('compress')) || truthy(params.get('decompress'))) {
      throw ClickHouseHttpError.of('NOT_IMPLEMENTED', 'ClickHouse native compression (compress/decompress) is not supported here; use HTTP compression (enable_http_compression=1, Content-Encoding)');
    }

    // Settings and query parameters from the URL.
    const settings = new Map<string, string>();
    const queryParams = new Map<string, string>();
    for (const [k, v] of params) {
      if (k.startsWith('param_')) {
        const name = k.slice('param_'.length);
        if (!isPlainIdentifier(name)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Invalid query parameter name: ${JSON.stringify(name)}`);
        queryParams.set(name, v);
      } else if (!NON_SETTING_PARAMS.has(k) && !HTTP_ONLY_SETTINGS.has(k)) {
        settings.set(k, v);
      }
    }
    if (user.role === 'analyst') {
      for (const [k, v] of settings) {
        if (k === 'readonly' && v === '1') {
          settings.delete(k);
          continue;
        }
        if (!ANALYST_OUTPUT_SETTINGS.has(k)) throw ClickHouseHttpError.of('READONLY', `Cannot modify '${k}' setting in readonly mode`);
      }
    }
    const database = params.get('database') ?? String(req.headers['x-clickhouse-database'] ?? '');
    const defaultFormat = params.get('default_format') || String(req.headers['x-clickhouse-format'] ?? '') || DEFAULT_FORMAT;

    // The query text; analysed as latin1 so that offsets are byte offsets into `text`.
    // For analysts this pass only refuses early: their query is checked again, and
    // executed, in the engine's normal form (checkAnalystQuery).
    const text = queryParam === '' ? body : Buffer.concat([Buffer.from(`${queryParam}\n`, 'utf8'), body]);
    let analysis: QueryAnalysis | undefined;
    if (text.length > 1 << 20) {
      // A large body is usually INSERT data: look for the statement in the first MiB only.
      try {
        const first = analyzeQuery(text.subarray(0, 1 << 20).toString('latin1'), isFormat);
        if (first.insert) analysis = first;
      } catch {
        /* cut inside a literal: analyse the whole text below */
      }
    }
    try {
      analysis ??= analyzeQuery(text.toString('latin1'), isFormat);
    } catch (err) {
      if (err instanceof SqlLexError) throw ClickHouseHttpError.of('SYNTAX_ERROR', `${err.message}: failed at position ${err.position + 1}`);
      throw err;
    }
    if (analysis.empty) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Empty query');
    if (analysis.multiStatement) throw ClickHouseHttpError.of('SYNTAX_ERROR', 'Multi-statements are not allowed');
    if (analysis.intoOutfile) throw ClickHouseHttpError.of('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed');
    if (analysis.fromInfile) throw ClickHouseHttpError.of('UNKNOWN_TYPE_OF_QUERY', 'Query has infile and was send directly to server');
    const readOnly = user.role === 'analyst' || req.method === 'GET';
    if (readOnly && !isReadOnlyKind(analysis.kind)) {
      if (!isStatementKeyword(analysis.kind)) {
        const excerpt = sqlText(text).trim().slice(0, 80);
        throw ClickHouseHttpError.of('SYNTAX_ERROR', `Syntax error: failed at position 1 (${excerpt}): expected a query such as SELECT, WITH, SHOW, DESCRIBE, EXPLAIN or EXISTS`);
      }
      const why = user.role === 'analyst' ? '' : '. For queries over HTTP, method GET implies readonly. You should use method POST for modifying queries';
      throw ClickHouseHttpError.of('READONLY', `${user.name}: Cannot execute query in readonly mode${why}`);
    }
    if (user.role === 'analyst') {
      // Values are escaped text (`\n`), as clients send them; a raw line break in an
      // Identifier parameter would forge lines in the EXPLAIN AST dump the checks read.
      for (const [k, v] of queryParams) {
        if (/[\n\r]/.test(v)) throw ClickHouseHttpError.of('BAD_ARGUMENTS', `Query parameter '${k}' contains a raw line break: escape it as \\n`);
      }
    }

    // Per-request state goes into a prelude run on a fresh Session.
    let prelude = '';
    if (user.role === 'analyst') {
      if (settings.size > 0) prelude += SERVER_PARITY_SQL + analystSettingsSql;
      for (const [k, v] of settings) prelude += setStatement(k, v);
      if (settings.size > 0) prelude += 'SET readonly = 1; ';
    } else {
      for (const [k, v] of settings) prelude += setStatement(k, v);
    }
    for (const [k, v] of queryParams) prelude += `SET param_${k} = ${sqlStringLiteral(v)}; `;
    if (database !== '' && database !== 'default') prelude += `USE ${backquote(database)}; `;
    const sessionState = user.role === 'service' && (analysis.kind === 'SET' || analysis.kind === 'USE' || analysis.temporary);
    const fresh = prelude !== '' || sessionState;
    if (fresh && !(user.role === 'analyst' && settings.size > 0)) {
      prelude = (user.role === 'analyst' ? analystInit : serviceInit) + prelude;
    }

    // The SQL to run. INSERT data never goes inline (chDB ends inline data at the first
    // empty line and runs what follows as SQL): it goes through a file and FROM INFILE.
    let sql: string;
    let dataFile: string | undefined;
    const ins = analysis.insert;
    if (ins) {
      if (!insertDir) throw ClickHouseHttpError.of('TOO_MANY_SIMULTANEOUS_QUERIES', 'The server is not ready');
      dataFile = join(insertDir, `${randomUUID()}.data`);
      writeFileSync(dataFile, text.subarray(ins.dataStart));
      const head = text.subarray(0, ins.headEnd).toString('utf8').trimEnd();
      const settingsClause = ins.settingsStart >= 0 ? ` ${text.subarray(ins.settingsStart, ins.formatStart).toString('utf8').trim()}` : '';
      sql = `${head} FROM INFILE ${sqlStringLiteral(dataFile)}${settingsClause} FORMAT ${ins.format}`;
    } else {
      sql = text.toString('utf8');
    }

    const pool = pools[user.role];
    const guard: AnalystCheckContext | undefined =
      user.role === 'analyst' ? { user: user.name, database: database === '' ? 'default' : database, denied: deniedFunctions } : undefined;
    const rawAnalysis = analysis;
    try {
      const { result, executed } = await pool.run(fresh, async (session): Promise<{ result: ChdbResult; executed: QueryAnalysis }> => {
        if (!guard) return { result: await session.queryAsync(prelude + sql, { format: defaultFormat }), executed: rawAnalysis };
        const checked = await checkAnalystQuery(session, prelude, sql, guard);
        return { result: await session.queryAsync(checked.sql, { format: defaultFormat }), executed: checked.analysis };
      });
      analysis = executed;
      const bytes = result.bytes();
      let out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const elapsedNs = process.hrtime.bigint() - started;
      const isInsert = analysis.kind === 'INSERT';
      const summary = {
        read_rows: String(isInsert ? 0 : result.rowsRead),
        read_bytes: String(isInsert ? 0 : result.bytesRead),
        written_rows: String(isInsert ? result.rowsRead : 0),
        written_bytes: String(isInsert ? result.bytesRead : 0),
        total_rows_to_read: '0',
        result_rows: String(isInsert ? 0 : result.rowsRead),
        result_bytes: String(isInsert ? 0 : result.bytesRead),
        elapsed_ns: String(elapsedNs),
      };
      commonHeaders(reply);
      reply.header('X-ClickHouse-Summary', JSON.stringify(summary));
      const format = analysis.outputFormat ?? defaultFormat;
      if (!isInsert) reply.header('X-ClickHouse-Format', format);
      reply.header('Content-Type', isInsert ? 'text/plain; charset=UTF-8' : contentTypeFor(format));
      const encoding = truthy(params.get('enable_http_compression')) ? pickEncoding(req.headers['accept-encoding']) : undefined;
      if (encoding && out.length > 0) {
        const level = Number(params.get('http_zlib_compression_level') ?? 3);
        out = await compress(out, encoding, Number.isFinite(level) ? level : 3);
        reply.header('Content-Encoding', encoding);
      }
      log.debug({ user: user.name, kind: analysis.kind, ms: Number(elapsedNs / 1_000_000n), fresh }, 'ClickHouse HTTP query');
      return reply.code(200).send(out);
    } finally {
      if (dataFile) {
        try {
          unlinkSync(dataFile);
        } catch {
          /* already gone */
        }
      }
    }
  }

  const ping = async (_req: FastifyRequest, reply: FastifyReply) => {
    commonHeaders(reply);
    return reply.header('Content-Type', 'text/plain; charset=UTF-8').send(OK_BODY);
  };
  app.get('/ping', ping);
  app.get('/replicas_status', ping);
  app.route({
    method: ['GET', 'POST'],
    url: '/',
    handler: async (req, reply) => {
      try {
        return await handleQuery(req, reply);
      } catch (err) {
        return sendError(reply, err);
      }
    },
  });
  app.setNotFoundHandler(async (req, reply) => {
    commonHeaders(reply);
    return reply
      .code(404)
      .header('Content-Type', 'text/plain; charset=UTF-8')
      .send(`There is no handle ${req.url.split('?')[0]}\n\nUse / or /ping for health checks.\n\nSend queries from your program with POST method or GET /?query=...\n`);
  });
  app.setErrorHandler(async (err, _req, reply) => {
    const e = err as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, ClickHouseHttpError.of('QUERY_IS_TOO_LARGE', `Request body is larger than ${maxBodyBytes} bytes`));
    }
    if (err instanceof ClickHouseHttpError) return sendError(reply, err);
    return sendError(reply, ClickHouseHttpError.of('BAD_ARGUMENTS', `Bad HTTP request: ${e.message ?? String(err)}`));
  });
  return app;
}

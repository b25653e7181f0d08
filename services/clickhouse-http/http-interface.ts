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
 *
 * Modules: http-request.ts (body, auth, URL settings), query-plan.ts (statement checks,
 * Session preludes), query-execution.ts (pools, the analyst check), http-insert.ts
 * (INSERT data files), http-response.ts (headers, compression, errors), engine-meta.ts.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Session } from 'chdb';
import type { Logger } from '../core/logger.ts';
import { ClickHouseHttpError } from './ch-errors.ts';
import { SessionPool } from './session-pool.ts';
import { deniedFunctionSet, type AnalystCheckContext, type DeniedFunctions } from './analyst-guard.ts';
import { loadDeniedFunctions, loadEngineMeta, unknownEngineMeta, type EngineMeta } from './engine-meta.ts';
import { authenticate, decodeBody, parseMultipart, truthy, urlSettings, type ClickHouseHttpUser } from './http-request.ts';
import { createInsertDir, insertFromFile, removeDataFile, removeInsertDir } from './http-insert.ts';
import { OK_BODY, commonHeaders, resultBody, sendError, type ServerIdentity } from './http-response.ts';
import { analyseText, buildPrelude, checkAllowed, sessionInitSql } from './query-plan.ts';
import { executeRequestQuery } from './query-execution.ts';

export type { ClickHouseHttpUser } from './http-request.ts';
export { DEFAULT_ANALYST_SETTINGS } from './query-plan.ts';

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

const DEFAULT_FORMAT = 'TabSeparated';

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
  const users = { service, analysts };
  const init = sessionInitSql(options.analystSettings);
  const displayName = hostname();

  let meta: EngineMeta = unknownEngineMeta();
  let deniedFunctions: DeniedFunctions = deniedFunctionSet();
  let anchor: Session | undefined;
  let insertDir: string | undefined;
  const pools = {
    service: new SessionPool({ dataDir: options.dataDir, name: 'service', size: poolSize, maxQueued, initSql: init.serviceInit, log }),
    analyst: new SessionPool({ dataDir: options.dataDir, name: 'analyst', size: poolSize, maxQueued, initSql: init.analystInit, log }),
  };

  const app = Fastify({ logger: false, bodyLimit: maxBodyBytes });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  app.addHook('onReady', async () => {
    // The anchor keeps the engine open between requests (fresh Sessions are then cheap),
    // and answers the metadata questions.
    anchor = new Session(options.dataDir);
    meta = await loadEngineMeta(anchor);
    deniedFunctions = await loadDeniedFunctions(anchor);
    insertDir = createInsertDir();
    log.debug({ version: meta.version, dataDir: options.dataDir }, 'ClickHouse HTTP interface ready');
  });

  app.addHook('onClose', async () => {
    pools.service.close();
    pools.analyst.close();
    anchor?.close();
    anchor = undefined;
    if (insertDir) removeInsertDir(insertDir);
  });

  const isFormat = (name: string) => meta.outputFormats.has(name.toLowerCase());
  const server = (): ServerIdentity => ({ displayName, version: meta.version, timezone: meta.timezone });

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
      commonHeaders(reply, server());
      return reply.header('Content-Type', 'text/html; charset=UTF-8').send(OK_BODY);
    }
    const user = authenticate(req, params, users);
    if (truthy(params.get('compress')) || truthy(params.get('decompress'))) {
      throw ClickHouseHttpError.of('NOT_IMPLEMENTED', 'ClickHouse native compression (compress/decompress) is not supported here; use HTTP compression (enable_http_compression=1, Content-Encoding)');
    }

    const { settings, queryParams } = urlSettings(params, user.role);
    const database = params.get('database') ?? String(req.headers['x-clickhouse-database'] ?? '');
    const defaultFormat = params.get('default_format') || String(req.headers['x-clickhouse-format'] ?? '') || DEFAULT_FORMAT;

    const text = queryParam === '' ? body : Buffer.concat([Buffer.from(`${queryParam}\n`, 'utf8'), body]);
    const analysis = analyseText(text, isFormat);
    checkAllowed(analysis, text, user, req.method, queryParams);
    const { prelude, fresh } = buildPrelude({ role: user.role, settings, queryParams, database, analysis, init });

    // The SQL to run. INSERT data never goes inline (chDB ends inline data at the first
    // empty line and runs what follows as SQL): it goes through a file and FROM INFILE.
    let sql: string;
    let dataFile: string | undefined;
    if (analysis.insert) {
      ({ sql, dataFile } = insertFromFile(text, analysis.insert, insertDir));
    } else {
      sql = text.toString('utf8');
    }

    const guard: AnalystCheckContext | undefined =
      user.role === 'analyst' ? { user: user.name, database: database === '' ? 'default' : database, denied: deniedFunctions } : undefined;
    try {
      const { result, executed } = await executeRequestQuery({ pool: pools[user.role], fresh, prelude, sql, format: defaultFormat, guard, analysis, isFormat });
      const elapsedNs = process.hrtime.bigint() - started;
      const out = await resultBody(req, reply, server(), { result, analysis: executed, defaultFormat, elapsedNs, params });
      log.debug({ user: user.name, kind: executed.kind, ms: Number(elapsedNs / 1_000_000n), fresh }, 'ClickHouse HTTP query');
      return reply.code(200).send(out);
    } finally {
      if (dataFile) removeDataFile(dataFile);
    }
  }

  const ping = async (_req: FastifyRequest, reply: FastifyReply) => {
    commonHeaders(reply, server());
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
        return sendError(reply, err, server(), log);
      }
    },
  });
  app.setNotFoundHandler(async (req, reply) => {
    commonHeaders(reply, server());
    return reply
      .code(404)
      .header('Content-Type', 'text/plain; charset=UTF-8')
      .send(`There is no handle ${req.url.split('?')[0]}\n\nUse / or /ping for health checks.\n\nSend queries from your program with POST method or GET /?query=...\n`);
  });
  app.setErrorHandler(async (err, _req, reply) => {
    const e = err as { code?: string; statusCode?: number; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, ClickHouseHttpError.of('QUERY_IS_TOO_LARGE', `Request body is larger than ${maxBodyBytes} bytes`), server(), log);
    }
    if (err instanceof ClickHouseHttpError) return sendError(reply, err, server(), log);
    return sendError(reply, ClickHouseHttpError.of('BAD_ARGUMENTS', `Bad HTTP request: ${e.message ?? String(err)}`), server(), log);
  });
  return app;
}

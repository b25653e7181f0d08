/**
 * Answering a ClickHouse HTTP request: the server headers, a result (X-ClickHouse-Summary,
 * X-ClickHouse-Format, Content-Type, HTTP compression) and errors the way a server
 * sends them (`Code: N. DB::Exception: …`, X-ClickHouse-Exception-Code, the server's
 * HTTP status for N). See http-interface.ts.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChdbResult } from 'chdb';
import type { Logger } from '../core/logger.ts';
import { ChCodes, ClickHouseHttpError, errorBody, httpStatusForCode } from './ch-errors.ts';
import { truthy } from './http-request.ts';
import type { QueryAnalysis } from './sql-statement.ts';

export const OK_BODY = 'Ok.\n';
const SYNC_COMPRESS_LIMIT = 1 << 20;

/** What the server headers and error bodies say about this server. */
export interface ServerIdentity {
  displayName: string;
  version: string;
  timezone: string;
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

export function commonHeaders(reply: FastifyReply, server: ServerIdentity): void {
  reply.header('X-ClickHouse-Server-Display-Name', server.displayName);
  reply.header('X-ClickHouse-Timezone', server.timezone);
}

export function sendError(reply: FastifyReply, err: unknown, server: ServerIdentity, log: Logger): FastifyReply {
  const e = err instanceof ClickHouseHttpError ? err : ClickHouseHttpError.fromEngine(err);
  const status = httpStatusForCode(e.chCode);
  if (e.chCode === ChCodes.REQUIRED_PASSWORD) reply.header('WWW-Authenticate', 'Basic realm="ClickHouse server HTTP API"');
  if (status >= 500) log.warn({ err: e, code: e.chCode }, 'ClickHouse HTTP query failed');
  commonHeaders(reply, server);
  return reply
    .code(status)
    .header('X-ClickHouse-Exception-Code', String(e.chCode))
    .header('Content-Type', 'text/plain; charset=UTF-8')
    .send(errorBody(e, server.version));
}

export interface QueryResponse {
  result: ChdbResult;
  /** The statement that ran. */
  analysis: QueryAnalysis;
  defaultFormat: string;
  elapsedNs: bigint;
  params: URLSearchParams;
}

/** Sets the headers of a query's response and returns its body (compressed if asked for). */
export async function resultBody(req: FastifyRequest, reply: FastifyReply, server: ServerIdentity, response: QueryResponse): Promise<Buffer> {
  const { result, analysis, defaultFormat, elapsedNs, params } = response;
  const bytes = result.bytes();
  let out = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
  commonHeaders(reply, server);
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
  return out;
}

/**
 * Reading a ClickHouse HTTP request: the body (Content-Encoding, multipart/form-data
 * fields), the user (X-ClickHouse-User/Key, HTTP Basic or user/password URL parameters)
 * and which URL parameters are settings or query parameters (see http-interface.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import zlib from 'node:zlib';
import type { FastifyRequest } from 'fastify';
import { ClickHouseHttpError } from './ch-errors.ts';
import { isPlainIdentifier } from './sql-lexer.ts';

export interface ClickHouseHttpUser {
  username: string;
  /** Omitted: no password required (any password is accepted, as for a ClickHouse `no_password` user). */
  password?: string;
}

export type Role = 'service' | 'analyst';

export interface AuthenticatedUser {
  name: string;
  role: Role;
}

/** Who may connect: the service user (may write) and the read-only analysts. */
export interface HttpUsers {
  service: { username: string; password: string } | undefined;
  analysts: ClickHouseHttpUser[];
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

export function truthy(v: string | null | undefined): boolean {
  return v === '1' || v === 'true';
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function decodeBody(body: Buffer, encoding: string | undefined, maxBytes: number): Buffer {
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
export function parseMultipart(body: Buffer, contentType: string): Array<[string, string]> {
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

export function authenticate(req: FastifyRequest, params: URLSearchParams, users: HttpUsers): AuthenticatedUser {
  const { service, analysts } = users;
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

/**
 * Settings and query parameters from the URL. Analysts may pass only `readonly=1`
 * (dropped: they are read-only anyway) and the output-format settings.
 */
export function urlSettings(params: URLSearchParams, role: Role): { settings: Map<string, string>; queryParams: Map<string, string> } {
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
  if (role === 'analyst') {
    for (const [k, v] of settings) {
      if (k === 'readonly' && v === '1') {
        settings.delete(k);
        continue;
      }
      if (!ANALYST_OUTPUT_SETTINGS.has(k)) throw ClickHouseHttpError.of('READONLY', `Cannot modify '${k}' setting in readonly mode`);
    }
  }
  return { settings, queryParams };
}

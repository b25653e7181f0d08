/**
 * ClickHouse-style errors for the HTTP interface: the codes it raises itself, the
 * body/headers a ClickHouse server sends, and the HTTP status it picks for a code
 * (a copy of the server's exceptionCodeToHTTPStatus; e.g. UNKNOWN_TABLE → 404,
 * AUTHENTICATION_FAILED → 403, REQUIRED_PASSWORD → 401, anything unlisted → 500).
 */

export const ChCodes = {
  UNSUPPORTED_METHOD: 1,
  CANNOT_PARSE_INPUT_ASSERTION_FAILED: 27,
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  TYPE_MISMATCH: 53,
  UNKNOWN_TABLE: 60,
  SYNTAX_ERROR: 62,
  UNKNOWN_FORMAT: 73,
  UNKNOWN_TYPE_OF_QUERY: 78,
  UNKNOWN_DATABASE: 81,
  UNKNOWN_SETTING: 115,
  TIMEOUT_EXCEEDED: 159,
  READONLY: 164,
  UNKNOWN_USER: 192,
  WRONG_PASSWORD: 193,
  REQUIRED_PASSWORD: 194,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  CANNOT_DECOMPRESS: 271,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  UNKNOWN_QUERY_PARAMETER: 456,
  ACCESS_DENIED: 497,
  AUTHENTICATION_FAILED: 516,
  UNSUPPORTED_MEDIA_TYPE: 779,
} as const;

export type ChCodeName = keyof typeof ChCodes;

/** An error to send the way a ClickHouse server does. */
export class ClickHouseHttpError extends Error {
  readonly chCode: number;
  readonly chType: string;
  /** `Code: N. DB::Exception: <message>. (TYPE)`, possibly followed by `(version …)`. */
  readonly body: string;

  constructor(chCode: number, chType: string, body: string, options: { cause?: unknown } = {}) {
    super(body, options);
    this.name = 'ClickHouseHttpError';
    this.chCode = chCode;
    this.chType = chType;
    this.body = body;
  }

  /** An error raised by the HTTP layer itself. */
  static of(type: ChCodeName, message: string): ClickHouseHttpError {
    const code = ChCodes[type];
    return new ClickHouseHttpError(code, type, `Code: ${code}. DB::Exception: ${message}. (${type})`);
  }

  /** Wraps an error the engine raised (`Code: N. DB::Exception: … (TYPE)`), keeping its text. */
  static fromEngine(err: unknown): ClickHouseHttpError {
    if (err instanceof ClickHouseHttpError) return err;
    const msg = (err instanceof Error ? err.message : String(err)).trim();
    const ownCode = (err as { clickhouseCode?: unknown } | null)?.clickhouseCode;
    const codeM = /Code: (\d+)\./.exec(msg);
    const code = typeof ownCode === 'number' ? ownCode : codeM ? Number(codeM[1]) : 1001; // STD_EXCEPTION
    // The last (TYPE) marker, i.e. the one before an optional trailing (version …).
    const types = [...msg.matchAll(/\(([A-Z][A-Z0-9_]{2,})\)/g)];
    const type = types.length > 0 ? types[types.length - 1]![1]! : 'STD_EXCEPTION';
    const body = msg.startsWith('Code: ') ? msg : `Code: ${code}. DB::Exception: ${msg}. (${type})`;
    return new ClickHouseHttpError(code, type, body, { cause: err });
  }
}

const STATUS_BY_CODE = new Map<number, number>();
function status(http: number, codes: number[]): void {
  for (const c of codes) STATUS_BY_CODE.set(c, http);
}
// From ClickHouse src/Server/HTTP/exceptionCodeToHTTPStatus.cpp.
status(401, [194]);
status(403, [192, 193, 497, 512, 516]);
status(400, [6, 8, 15, 25, 26, 27, 36, 37, 38, 41, 44, 53, 62, 72, 117, 123, 167, 168, 223, 321, 376, 427, 441, 675, 676]);
status(404, [46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511]);
status(413, [229]);
status(501, [48]);
status(503, [76, 209, 439]);
status(411, [381]);
status(408, [159]);
status(415, [779]);

/** The HTTP status a ClickHouse server sends for an exception code. */
export function httpStatusForCode(code: number): number {
  return STATUS_BY_CODE.get(code) ?? 500;
}

/** The response body a ClickHouse server sends: `Code: N. DB::Exception: … (TYPE) (version V)\n`. */
export function errorBody(err: ClickHouseHttpError, version: string): string {
  const text = err.body.includes('(version ') ? err.body : `${err.body} (version ${version})`;
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Errors carry a stable code, a cause, and whether retrying can help.
 * Every code is listed here so the set is reviewable in one place.
 */
export const ErrorCodes = {
  CONFIG_INVALID: 'PIPE_CONFIG_INVALID',
  DECODE_FAILED: 'PIPE_DECODE_FAILED',
  VALIDATION_FAILED: 'PIPE_VALIDATION_FAILED',
  UNKNOWN_SCHEMA_ID: 'PIPE_UNKNOWN_SCHEMA_ID',
  STORE_UNAVAILABLE: 'PIPE_STORE_UNAVAILABLE',
  STORE_QUERY_FAILED: 'PIPE_STORE_QUERY_FAILED',
  BUS_UNAVAILABLE: 'PIPE_BUS_UNAVAILABLE',
  SHUTTING_DOWN: 'PIPE_SHUTTING_DOWN',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** ClickHouse exception code (e.g. 60) when the error came from ClickHouse/chDB. */
  readonly chCode?: number;
  /** ClickHouse exception type (e.g. 'UNKNOWN_TABLE') when the error came from ClickHouse/chDB. */
  readonly chType?: string;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; chCode?: number; chType?: string } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    if (options.chCode !== undefined) this.chCode = options.chCode;
    if (options.chType !== undefined) this.chType = options.chType;
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof PipelineError ? err.retryable : false;
}

/** Which judge answers may succeed later (timing: core/retry.ts). */

/** 408, 429 and 5xx may succeed later; other statuses will not. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

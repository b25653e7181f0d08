/** Values as ClickHouse columns take them, shared by every service that writes or filters rows. */

/** ClickHouse DateTime64(3) text, e.g. 2026-01-31 12:00:00.123 (UTC). */
export function toClickHouseTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-01-31T12:00:00.123Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Values as ClickHouse columns take them, shared by every service that writes or filters rows. */

/** The day text of the last day formatted (rows of one batch mostly share a few days). */
let cachedDay = Number.NaN;
let cachedDayText = '';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const pad3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** YYYY-MM-DD of a day number since 1970-01-01 (civil-from-days, proleptic Gregorian). */
function dayText(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

/**
 * ClickHouse DateTime64(3) text, e.g. 2026-01-31 12:00:00.123 (UTC). Called for two
 * columns of every row the writer inserts, so it is plain arithmetic (the day part cached)
 * rather than a Date and an ISO string per call; years outside 1970–9999 go through Date.
 */
export function toClickHouseTime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0 || ms >= 253_402_300_800_000) {
    const iso = new Date(ms).toISOString(); // 2026-01-31T12:00:00.123Z (throws on NaN, like before)
    return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  if (days !== cachedDay) {
    cachedDay = days;
    cachedDayText = dayText(days);
  }
  const inDay = t - days * 86_400_000;
  const h = Math.floor(inDay / 3_600_000);
  const mi = Math.floor((inDay % 3_600_000) / 60_000);
  const s = Math.floor((inDay % 60_000) / 1000);
  return `${cachedDayText} ${pad2(h)}:${pad2(mi)}:${pad2(s)}.${pad3(inDay % 1000)}`;
}

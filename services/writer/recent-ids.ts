/**
 * The trace_ids this writer stored recently, oldest evicted first. It catches repeats
 * that arrive as new messages (a client retrying a request whose 2xx it never saw, an
 * enricher replay after a crash), which batch tokens cannot recognise. Warmed from
 * ClickHouse at start so a restart does not forget.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    if (this.capacity <= 0 || this.ids.has(id)) return;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}

export const WARM_RECENT_IDS_SQL = `
SELECT trace_id, span_id
FROM traces
WHERE received_at >= now64(3) - toIntervalMinute({minutes:UInt32})
  AND ts >= now64(3) - toIntervalDay({maxAgeDays:UInt32})
ORDER BY received_at DESC
LIMIT {limit:UInt32}`;

/**
 * A bounded memory of recently seen trace_id → (feature, model), so user feedback (which
 * carries only a trace_id) lands in its trace's series. Oldest entries go first (a Map
 * keeps insertion order); a miss only means the feedback counts globally.
 */
export interface RecentTraces {
  remember(traceId: string, feature: string, model: string): void;
  lookup(traceId: string): { feature: string; model: string } | undefined;
  readonly size: number;
}

export function createRecentTraces(capacity: number): RecentTraces {
  const map = new Map<string, { feature: string; model: string }>();
  return {
    remember(traceId, feature, model) {
      if (capacity <= 0) return;
      if (map.has(traceId)) map.delete(traceId);
      map.set(traceId, { feature, model });
      if (map.size > capacity) map.delete(map.keys().next().value as string);
    },
    lookup: (traceId) => map.get(traceId),
    get size() {
      return map.size;
    },
  };
}

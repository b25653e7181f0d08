import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * How late this process's event loop runs timers, over the last complete window (60 s by
 * default) and the one still filling: what a soak or an operator watches to see a process
 * that is alive (answers /healthz) but slow to answer everything else. One histogram per
 * process (node's own, sampling every 20 ms); the windows rotate on an unref'd timer, so
 * reading the figures never resets them for another reader.
 */
export interface EventLoopDelayWindow {
  /** Milliseconds, rounded to 0.1. */
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  window_s: number;
}

export interface EventLoopDelay {
  last: EventLoopDelayWindow | null;
  current: EventLoopDelayWindow;
}

let histogram: IntervalHistogram | null = null;
let last: EventLoopDelayWindow | null = null;
let windowStartedAt = 0;

function snapshot(h: IntervalHistogram, sinceMs: number): EventLoopDelayWindow {
  const ms = (ns: number) => (Number.isFinite(ns) && h.count > 0 ? Math.round(ns / 1e5) / 10 : 0);
  return { p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), window_s: Math.round((Date.now() - sinceMs) / 1000) };
}

/** Starts the process-wide monitor once (later calls are no-ops) and returns a reader. */
export function eventLoopDelay(windowMs = 60_000): () => EventLoopDelay {
  if (!histogram) {
    const h = monitorEventLoopDelay({ resolution: 20 });
    h.enable();
    histogram = h;
    windowStartedAt = Date.now();
    setInterval(() => {
      last = snapshot(h, windowStartedAt);
      h.reset();
      windowStartedAt = Date.now();
    }, windowMs).unref();
  }
  const h = histogram;
  return () => ({ last, current: snapshot(h, windowStartedAt) });
}

import { prng } from '../../../scripts/lib/prng.ts';
import { expectedCostPico } from '../../helpers/expected-cost.ts';

/**
 * The fault tests' traffic: seeded events (spread over the last two hours so they land in
 * several minute and hour buckets) and a client that behaves like a real one: it resends
 * a batch, with the same trace_ids, until it gets a 202 — after Retry-After on a 503,
 * after a short pause when the connection failed (process down, socket closed mid-request).
 * `acknowledged` holds exactly the trace_ids whose request was answered 202.
 */
export interface TraceEvent {
  trace_id: string;
  timestamp: string;
  model: string;
  feature: string;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  latency_ms: number;
}

const MODELS = ['gpt-4o-mini', 'gpt-4o'];
const FEATURES = ['chat', 'search', 'summarize'];

export function makeEvents(prefix: string, n: number, seed: number, nowMs = Date.now()): TraceEvent[] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const input = 200 + Math.floor(rnd() * 3000);
    return {
      trace_id: `${prefix}-${i}`,
      // 1 minute to 2 hours ago: within the writer's dedup warm-up window and several hour buckets.
      timestamp: new Date(nowMs - 60_000 - Math.floor(rnd() * 7_140_000)).toISOString(),
      model: MODELS[Math.floor(rnd() * MODELS.length)],
      feature: FEATURES[Math.floor(rnd() * FEATURES.length)],
      input_tokens: input,
      cached_input_tokens: rnd() < 0.3 ? Math.floor(input / 2) : 0,
      output_tokens: 10 + Math.floor(rnd() * 500),
      latency_ms: 100 + Math.floor(rnd() * 4000),
    };
  });
}

export function expectedPicoOf(events: readonly TraceEvent[]): number {
  return events.reduce((s, e) => s + expectedCostPico(e.model, e), 0);
}

export interface ClientStats {
  requests: number;
  accepted: number;
  unavailable: number;
  /** 503s by their `error` (unavailable, overloaded, storage_full): how many, when the first came, the last one's Retry-After and message. */
  unavailableBy: Record<string, { count: number; firstAt: number; retryAfter: string | null; message: string }>;
  networkErrors: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RetryingClient {
  readonly acknowledged = new Set<string>();
  /** Every trace_id this client tried to send at least once. */
  readonly attempted = new Set<string>();
  readonly stats: ClientStats = { requests: 0, accepted: 0, unavailable: 0, unavailableBy: {}, networkErrors: 0 };
  /** Called after each 202, before send() returns (e.g. to SIGKILL the server right then). */
  onAccepted: ((batch: readonly TraceEvent[]) => void) | null = null;

  constructor(
    private readonly url: () => string,
    /** keepIds false: count only (a soak sends millions of ids; `acknowledged`/`attempted` stay empty). */
    private readonly options: { networkRetryMs?: number; requestTimeoutMs?: number; keepIds?: boolean } = {},
  ) {}

  /** Sends one batch until it is answered 202. */
  async send(batch: readonly TraceEvent[]): Promise<void> {
    const keepIds = this.options.keepIds ?? true;
    if (keepIds) for (const e of batch) this.attempted.add(e.trace_id);
    const body = JSON.stringify({ traces: batch });
    for (;;) {
      this.stats.requests++;
      let res: Response;
      let text: string;
      try {
        res = await fetch(`${this.url()}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 90_000),
        });
        text = await res.text();
      } catch {
        // Refused, reset, or cut mid-response: the events may or may not be in; send them again.
        this.stats.networkErrors++;
        await sleep(this.options.networkRetryMs ?? 500);
        continue;
      }
      if (res.status === 202) {
        this.stats.accepted++;
        if (keepIds) for (const e of batch) this.acknowledged.add(e.trace_id);
        this.onAccepted?.(batch);
        return;
      }
      if (res.status === 503) {
        this.stats.unavailable++;
        let kind = { error: 'unknown', message: text };
        try {
          kind = JSON.parse(text);
        } catch {
          // not JSON: counted as 'unknown'
        }
        const by = (this.stats.unavailableBy[kind.error] ??= { count: 0, firstAt: Date.now(), retryAfter: null, message: '' });
        by.count++;
        by.retryAfter = res.headers.get('retry-after');
        by.message = kind.message;
        const retryAfter = Number(res.headers.get('retry-after'));
        await sleep((Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : 1) * 1000);
        continue;
      }
      throw new Error(`unexpected ${res.status} from ingest: ${text}`);
    }
  }

  /**
   * Sends `events` in batches of `batchSize` from `concurrency` workers, pausing `pauseMs`
   * between a worker's batches, until all are sent or stop() was called (batches already
   * started still run to their 202).
   */
  stream(events: readonly TraceEvent[], opts: { batchSize: number; pauseMs: number; concurrency?: number }): { done: Promise<void>; stop(): void; sent(): number } {
    let next = 0;
    let stopped = false;
    const worker = async () => {
      while (!stopped && next < events.length) {
        const batch = events.slice(next, next + opts.batchSize);
        next += batch.length;
        await this.send(batch);
        if (opts.pauseMs > 0) await sleep(opts.pauseMs);
      }
    };
    const done = Promise.all(Array.from({ length: opts.concurrency ?? 1 }, worker)).then(() => undefined);
    return {
      done,
      stop: () => {
        stopped = true;
      },
      sent: () => next,
    };
  }
}

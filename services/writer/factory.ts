import type { EventBus } from '../core/bus/event-bus.ts';
import type { AvroRegistry } from '../core/codec/avro-registry.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';
import { MINUTE_MS } from '../core/time.ts';
import { topicsOf } from '../core/wiring.ts';
import { createMemoryBatchLog } from './batch-log.ts';
import { repairRollups } from './rollup-repair.ts';
import { createWriter, type Writer } from './writer.ts';

export interface WriterFactoryDeps {
  config: Config;
  log: Logger;
  bus: EventBus;
  store: Store;
  registry: AvroRegistry;
}

export interface WriterFactoryOptions {
  /**
   * On the in-process bus (`npm start`). Its offsets restart at 0 every run, so a batch
   * log persisted in `writer_batches`, or dedup tokens made of offsets alone, would match
   * a new run's messages to the last run's batches and ClickHouse would drop them as
   * repeats: batches are logged in memory and tokens carry a per-run epoch. And a run
   * killed between an insert's `traces` part and its rollup views' parts left buckets
   * behind, whose events' resends the writer will drop as repeats: those buckets are
   * repaired before the writer starts.
   */
  embedded?: boolean;
  /** Test-only fault injection: called after an insert resolved, before the offsets are committed. */
  afterInsert?: () => void;
}

/** The writer as both entries run it: llm.traces.enriched + llm.scores + llm.dlq → ClickHouse. */
export function writerFromConfig(deps: WriterFactoryDeps, options: WriterFactoryOptions = {}): Writer {
  const c = deps.config;
  const embedded = options.embedded === true;
  const writer = createWriter({
    bus: deps.bus,
    store: deps.store,
    registry: deps.registry,
    log: deps.log,
    topics: topicsOf(c),
    group: c.WRITER_GROUP,
    batchSize: c.WRITER_BATCH_SIZE,
    maxDelayMs: c.WRITER_MAX_DELAY_MS,
    dedupWindow: c.WRITER_DEDUP_WINDOW,
    dedupWarmMinutes: c.WRITER_DEDUP_WARM_MINUTES,
    flush: { maxRows: c.WRITER_FLUSH_ROWS, maxBytes: c.WRITER_FLUSH_BYTES, maxWaitMs: c.WRITER_FLUSH_MAX_MS },
    batchLog: embedded ? createMemoryBatchLog() : undefined,
    tokenEpoch: embedded ? `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` : undefined,
    afterInsert: options.afterInsert,
  });
  if (!embedded || c.WRITER_DEDUP_WARM_MINUTES <= 0) return writer;
  return {
    ...writer,
    async start() {
      await repairRollups(deps.store, { sinceMs: Date.now() - (c.WRITER_DEDUP_WARM_MINUTES + 1) * MINUTE_MS, log: deps.log });
      await writer.start();
    },
  };
}

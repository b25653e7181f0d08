import type { Logger } from '../core/logger.ts';
import type { Store } from '../core/store/store.ts';

/**
 * Repairs the rollups after an unclean stop of the embedded pipeline.
 *
 * An insert into `traces` fires the rollup views block by block; a process killed
 * between the `traces` part and a view's part leaves rows in `traces` that the rollup
 * lacks. The distributed writer heals that by replaying its logged batch with the same
 * token; the embedded writer cannot (its in-process offsets, and so its batch log, die
 * with the process), and the client's retry of those events is then dropped as a repeat
 * because the rows are in `traces`. So at start, before the writer consumes anything, each
 * rollup bucket holding a row stored in the recent window (by `received_at`, the clock of
 * the writer's recent-ids memory, whatever the event's own time) whose request count is
 * below what `traces` holds gets the difference added: requests, errors, unpriced, token and cost sums, latency sum
 * exactly; latency max from `traces`; the quantile states of the missing rows cannot be
 * told apart from the present ones and are left as they are (an empty state is added).
 *
 * The finished quantiles (traces_fm_quantiles) need no repair: an hour whose count the
 * repair changes no longer matches its finished row, so queries merge its states until
 * the refreshable view finishes it again.
 *
 * Safe only with one writer and nothing inserting meanwhile: the embedded pipeline calls
 * it before its writer starts. A bucket counted twice (a repeat outside the writer's
 * window) has more in the rollup than in `traces` and is left alone.
 */
const FULL_KEYS = 'bucket, feature, model, prompt_version, environment';
/** The dashboard-grain rollups (008_rollups_bucket_first.sql). */
const FM_KEYS = 'bucket, feature, model';
const ROLLUPS = [
  { table: 'traces_1m', bucket: 'toStartOfMinute', keys: FULL_KEYS },
  { table: 'traces_1h', bucket: 'toStartOfHour', keys: FULL_KEYS },
  { table: 'traces_fm_1h', bucket: 'toStartOfHour', keys: FM_KEYS },
  { table: 'traces_fm_1d', bucket: 'toStartOfDay', keys: FM_KEYS },
] as const;

const SUMS = [
  ['requests', 'count()'],
  ['errors', "countIf(status = 'error')"],
  ['unpriced', 'countIf(cost_usd IS NULL)'],
  ['input_tokens_sum', 'sum(input_tokens)'],
  ['output_tokens_sum', 'sum(output_tokens)'],
  ['cached_input_tokens_sum', 'sum(cached_input_tokens)'],
  ['cache_write_tokens_sum', 'sum(cache_write_tokens)'],
  ['reasoning_tokens_sum', 'sum(reasoning_tokens)'],
  ['latency_ms_sum', 'sum(toUInt64(latency_ms))'],
  // 012_rollup_billing_parts.sql
  ['fallback_rate', "countIf(pricing_status = 'fallback_rate')"],
  ['cache_write_1h_tokens_sum', 'sum(cache_write_1h_tokens)'],
  ['input_audio_tokens_sum', 'sum(input_audio_tokens)'],
  ['output_audio_tokens_sum', 'sum(output_audio_tokens)'],
  ['input_image_tokens_sum', 'sum(input_image_tokens)'],
  ['output_image_tokens_sum', 'sum(output_image_tokens)'],
] as const;
const DECIMALS = [
  ['cost_usd_sum', 'sum(toDecimal128(ifNull(cost_usd, 0), 12))'],
  ['client_cost_usd_sum', 'sum(toDecimal128(ifNull(client_cost_usd, 0), 12))'],
] as const;
/** The rows to add to `table`: one per bucket that has fewer requests than `traces`. */
function gapSelect(table: string, bucket: string, keys: string): string {
  const dims = keys.replace(/^bucket, /, '');
  const fromTraces = [...SUMS, ...DECIMALS].map(([c, expr]) => `${expr} AS t_${c}`).join(', ');
  const fromRollup = [...SUMS, ...DECIMALS].map(([c]) => `sum(${c}) AS r_${c}`).join(', ');
  // The buckets of every row stored since `since` (by arrival, the clock the writer's
  // recent-ids memory uses: a late event of last week can be dropped as a repeat too).
  const touched = `SELECT DISTINCT ${bucket}(ts) FROM traces WHERE received_at >= fromUnixTimestamp64Milli({since:Int64})`;
  const diffs = [
    ...SUMS.map(([c]) => `toUInt64(greatest(toInt64(t_${c}) - toInt64(r_${c}), 0)) AS ${c}`),
    ...DECIMALS.map(([c]) => `greatest(t_${c} - r_${c}, toDecimal128(0, 12)) AS ${c}`),
  ].join(', ');
  return `
SELECT ${keys}, ${diffs}, t_latency_ms_max AS latency_ms_max,
       arrayReduce('quantilesTDigestState(0.5, 0.9, 0.95, 0.99)', emptyArrayUInt32()) AS latency_q,
       arrayReduce('quantilesTDigestIfState(0.5, 0.9, 0.95, 0.99)', emptyArrayUInt32(), emptyArrayUInt8()) AS ttft_q
FROM (
  SELECT ${bucket}(ts) AS bucket, ${dims}, ${fromTraces}, max(latency_ms) AS t_latency_ms_max
  FROM traces FINAL WHERE ${bucket}(ts) IN (${touched}) AND span_kind IN ('llm', 'embedding')
  GROUP BY ${keys}
) AS t
LEFT JOIN (
  SELECT ${keys}, ${fromRollup} FROM ${table}
  WHERE bucket IN (${touched})
  GROUP BY ${keys}
) AS r USING (${keys})
WHERE t_requests > r_requests`;
}

const columns = (keys: string) => `${keys}, ${[...SUMS, ...DECIMALS].map(([c]) => c).join(', ')}, latency_ms_max, latency_q, ttft_q`;

export async function repairRollups(store: Store, opts: { sinceMs: number; log: Logger }): Promise<{ table: string; buckets: number }[]> {
  const out: { table: string; buckets: number }[] = [];
  for (const { table, bucket, keys } of ROLLUPS) {
    const gap = gapSelect(table, bucket, keys);
    const [row] = await store.query<{ n: string | number }>(`SELECT count() AS n FROM (${gap}) SETTINGS join_use_nulls = 0`, { since: opts.sinceMs });
    const buckets = Number(row?.n ?? 0);
    if (buckets > 0) {
      await store.command(`INSERT INTO ${table} (${columns(keys)}) ${gap} SETTINGS join_use_nulls = 0`, { since: opts.sinceMs });
      opts.log.warn({ table, buckets, since: new Date(opts.sinceMs).toISOString() }, 'rollup buckets behind traces after an unclean stop: added the missing counts');
    }
    out.push({ table, buckets });
  }
  return out;
}

/**
 * `replay`: chosen dead letters back to their source topic (or --to-topic), oldest first
 * so messages with the same key keep their order, each noted in dlq_replays once it was
 * published. Publish first, record second: a crash in between means a message may be
 * replayed once more later, never that a recorded replay did not happen.
 *
 * A replayed message that is still bad is not special: the pipeline dead-letters it
 * again, as a new DLQ row at its new offset (with a `dlq.replay.of` header naming the
 * row it was replayed from).
 */
import type { Headers } from '../core/bus/event-bus.ts';
import type { Store } from '../core/store/store.ts';
import { formatDlqId, type DlqFilter, type DlqId } from './args.ts';
import { fetchDlqMessage, recordReplay, selectDlqEntries, type DlqEntry } from './dlq-store.ts';
import { TransportDown, type ReplayTarget } from './targets.ts';

export interface ReplayRequest {
  filter: DlqFilter;
  /** Most messages replayed by one run (already-replayed ones do not count). */
  limit: number;
  dryRun: boolean;
  force: boolean;
  toTopic?: string;
}

export type ReplayStatus = 'replayed' | 'would-replay' | 'skipped' | 'failed';

export interface ReplayOutcome {
  id: string;
  status: ReplayStatus;
  /** Target topic (replayed / would-replay), or why (skipped / failed). */
  detail: string;
  /** Replayed, but something needs attention (e.g. not recorded). */
  warning?: string;
}

export interface ReplaySummary {
  outcomes: ReplayOutcome[];
  replayed: number;
  wouldReplay: number;
  skipped: number;
  failed: number;
  warnings: number;
  /** Matching rows left for a next run because of --limit. */
  notAttempted: number;
}

export interface ReplayDeps {
  store: Store;
  /** null for --dry-run: nothing is published. */
  target: ReplayTarget | null;
  /** False when dlq_replays does not exist: nothing counts as replayed (dry run only). */
  withReplays: boolean;
  now?: () => number;
  onOutcome?: (o: ReplayOutcome) => void;
}

/** Rows looked at per run: already-replayed rows are skipped without counting against --limit. */
export const SCAN_CAP = 100_000;

const DLQ_HEADER_PREFIX = 'dlq.';
export const REPLAY_OF_HEADER = 'dlq.replay.of';

/** The original headers without the DLQ's own (the pipeline adds fresh ones if it fails again), plus where it was replayed from. */
export function replayHeaders(stored: Headers, id: DlqId): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(stored)) if (!k.startsWith(DLQ_HEADER_PREFIX)) out[k] = v;
  out[REPLAY_OF_HEADER] = formatDlqId(id);
  return out;
}

export async function replayDlq(deps: ReplayDeps, req: ReplayRequest): Promise<ReplaySummary> {
  const now = deps.now ?? Date.now;
  const outcomes: ReplayOutcome[] = [];
  const emit = (o: ReplayOutcome) => {
    outcomes.push(o);
    deps.onOutcome?.(o);
  };

  const entries = await selectDlqEntries(deps.store, req.filter, { limit: SCAN_CAP, order: 'oldest-first', withReplays: deps.withReplays });
  const found = new Set(entries.map((e) => formatDlqId(e.id)));
  for (const id of req.filter.ids ?? []) {
    const key = formatDlqId(id);
    if (!found.has(key)) emit({ id: key, status: 'failed', detail: 'no DLQ row with this id matches (see `npm run dlq -- list`)' });
  }

  const pending: DlqEntry[] = [];
  for (const e of entries) {
    if (e.replays > 0 && !req.force) {
      emit({ id: formatDlqId(e.id), status: 'skipped', detail: `already replayed ${e.replays}× (last ${e.lastReplayedAt} UTC); --force replays it again` });
    } else pending.push(e);
  }

  let down: string | null = null;
  for (const e of pending.slice(0, req.limit)) {
    const id = formatDlqId(e.id);
    const topic = req.toTopic ?? e.id.topic;
    if (down !== null) {
      emit({ id, status: 'failed', detail: `not attempted: ${down}` });
    } else if (req.dryRun || !deps.target) {
      emit({ id, status: 'would-replay', detail: topic });
    } else {
      const outcome = await replayOne(deps, deps.target, e, topic, req.force, now);
      if (outcome.down) down = outcome.down;
      emit(outcome.result);
    }
  }

  const count = (s: ReplayStatus) => outcomes.filter((o) => o.status === s).length;
  return {
    outcomes,
    replayed: count('replayed'),
    wouldReplay: count('would-replay'),
    skipped: count('skipped'),
    failed: count('failed'),
    warnings: outcomes.filter((o) => o.warning).length,
    notAttempted: Math.max(0, pending.length - req.limit),
  };
}

async function replayOne(
  deps: ReplayDeps,
  target: ReplayTarget,
  e: DlqEntry,
  topic: string,
  forced: boolean,
  now: () => number,
): Promise<{ result: ReplayOutcome; down?: string }> {
  const id = formatDlqId(e.id);
  const message = await fetchDlqMessage(deps.store, e.id);
  if (!message) return { result: { id, status: 'failed', detail: 'the DLQ row is gone (expired by TTL?)' } };
  if (message.valueSha256 !== e.valueSha256) return { result: { id, status: 'failed', detail: 'the DLQ row changed while replaying; run again' } };
  try {
    await target.publish(topic, { key: e.key === '' ? null : e.key, value: message.value, headers: replayHeaders(message.headers, e.id) });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { result: { id, status: 'failed', detail: why }, ...(err instanceof TransportDown ? { down: why } : {}) };
  }
  try {
    await recordReplay(deps.store, { id: e.id, valueSha256: e.valueSha256, targetTopic: topic, transport: target.transport, forced, at: now() });
    return { result: { id, status: 'replayed', detail: topic } };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { result: { id, status: 'replayed', detail: topic, warning: `published, but not recorded in dlq_replays (${why}): a next run would replay it again` } };
  }
}

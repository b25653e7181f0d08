/**
 * What `npm run dlq` prints on stdout. Pure text functions, so the exact output is
 * unit-tested. The table is for people (one line per dead letter: reasons are cut,
 * control characters in keys and reasons made visible so a hostile key cannot garble
 * the terminal); `--json` is for scripts (one object per line, full reason, exact ids).
 */
import { formatDlqId } from './args.ts';
import type { DlqEntry } from './dlq-store.ts';
import type { ReplayOutcome, ReplaySummary } from './replay.ts';

export const REASON_WIDTH = 60;
export const KEY_WIDTH = 24;

/** One line, at most `width` characters, `…` when cut. */
export function cut(text: string, width: number): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const chars = [...oneLine];
  return chars.length <= width ? oneLine : `${chars.slice(0, width - 1).join('')}…`;
}

/** 512 B, 1.5 KiB, 10.0 MiB. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** 'YYYY-MM-DD hh:mm:ss.fff' (UTC, as stored) → 'YYYY-MM-DD hh:mm:ss'. */
function shortTime(ts: string): string {
  return ts.slice(0, 19);
}

export function formatListTable(entries: readonly DlqEntry[]): string {
  const header = ['TIME (UTC)', 'ID (topic:partition:offset)', 'KEY', 'REASON', 'SIZE', 'REPLAYED'];
  const rows = entries.map((e) => [
    shortTime(e.ts),
    formatDlqId(e.id),
    e.key === '' ? '-' : cut(e.key, KEY_WIDTH),
    cut(e.errorCode ? `${e.errorCode}: ${e.reason}` : e.reason, REASON_WIDTH),
    humanSize(e.sizeBytes),
    e.replays > 0 ? `${e.replays}×` : '',
  ]);
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]!].length)));
  const rightAligned = new Set([4]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** One JSON object per line; offsets beyond 2^53 stay exact in `id` (and as strings). */
export function formatListJson(entries: readonly DlqEntry[]): string {
  return entries
    .map((e) => {
      const offset = Number(e.id.offset);
      return JSON.stringify({
        id: formatDlqId(e.id),
        ts: `${e.ts.replace(' ', 'T')}Z`,
        stage: e.stage,
        source_topic: e.id.topic,
        source_partition: e.id.partition,
        source_offset: Number.isSafeInteger(offset) ? offset : e.id.offset,
        key: e.key,
        error_code: e.errorCode,
        reason: e.reason,
        size_bytes: e.sizeBytes,
        replays: e.replays,
        last_replayed_at: e.lastReplayedAt === null ? null : `${e.lastReplayedAt.replace(' ', 'T')}Z`,
      });
    })
    .map((l) => `${l}\n`)
    .join('');
}

const STATUS_LABEL: Record<ReplayOutcome['status'], string> = {
  replayed: 'replayed    ',
  'would-replay': 'would replay',
  skipped: 'skipped     ',
  failed: 'FAILED      ',
};

export function formatOutcome(o: ReplayOutcome): string {
  const arrow = o.status === 'replayed' || o.status === 'would-replay' ? ` → ${o.detail}` : `: ${cut(o.detail, 300)}`;
  return `${STATUS_LABEL[o.status]}  ${o.id}${arrow}${o.warning ? `  WARNING: ${o.warning}` : ''}\n`;
}

export function formatSummary(s: ReplaySummary, options: { dryRun: boolean; via: string }): string {
  const parts = options.dryRun ? [`dry run: would replay ${s.wouldReplay}`] : [`replayed ${s.replayed} (via ${options.via})`];
  parts.push(`skipped ${s.skipped} already replayed${s.skipped > 0 ? ' (--force to replay again)' : ''}`);
  parts.push(`failed ${s.failed}`);
  let text = `${parts.join(', ')}\n`;
  if (s.warnings > 0) text += `${s.warnings} replayed but not recorded: see WARNING above\n`;
  if (s.notAttempted > 0) text += `${s.notAttempted} more matching dead letter(s) not attempted (--limit); run again to continue\n`;
  return text;
}

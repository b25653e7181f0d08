/**
 * Command-line parsing for `npm run dlq -- list|replay …`. Pure (the clock is passed in)
 * so every rule is unit-tested; a mistake is a UsageError, which the CLI turns into exit
 * code 2 with the message and the usage text, before anything is contacted.
 */

/** A wrong command line: exit 2, nothing was read or published. */
export class UsageError extends Error {}

/**
 * A DLQ row's identity: its position in the source topic. Unique per source message
 * (the `dlq` table is keyed by it), printed by `list` as `topic:partition:offset`.
 */
export interface DlqId {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets are int64. */
  offset: string;
}

export interface DlqFilter {
  /** Dead letters that failed at or after this time. */
  since?: Date;
  /** Case-insensitive substring of the reason or the error code. */
  reason?: string;
  /** Source topic, exactly. */
  topic?: string;
  /** Only these rows. */
  ids?: DlqId[];
}

export type DlqCommand =
  | { command: 'help' }
  | { command: 'list'; filter: DlqFilter; limit: number; json: boolean }
  | { command: 'replay'; filter: DlqFilter; limit: number; dryRun: boolean; force: boolean; toTopic?: string };

export const USAGE = `usage:
  npm run dlq -- list   [--since 1h|ISO-time] [--reason <text>] [--topic <topic>] [--id <id>...] [--limit 50] [--json]
  npm run dlq -- replay (--id <topic:partition:offset>... | --reason <text> | --since 1h|ISO-time | --topic <topic>)
                        [--limit 1000] [--dry-run] [--force] [--to-topic <topic>]

  list     prints dead letters, newest first; the ID column is what --id takes
  replay   re-publishes the original bytes and key of the chosen dead letters, oldest
           first, to their source topic (or --to-topic); a row already replayed is
           skipped unless --force; --dry-run only prints what would be replayed
  filters combine with AND; --reason matches the reason or the error code, any case`;

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };
const TOPIC_RE = /^[A-Za-z0-9._-]{1,249}$/;

/** `30m`, `1h`, `7d`, `2w` before `now`, or an ISO-8601 date/time (UTC unless it says otherwise). */
export function parseSince(text: string, now: number): Date {
  const t = text.trim();
  const rel = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (rel) return new Date(now - Number(rel[1]) * DURATION_UNITS[rel[2]!.toLowerCase()]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    // A date or a time without a zone means UTC, as everything in the pipeline is.
    const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t : `${t.replace(' ', 'T')}Z`;
    const ms = Date.parse(iso);
    if (Number.isFinite(ms)) return new Date(ms);
  }
  throw new UsageError(`--since "${text}" is neither a duration like 30m, 1h, 7d nor an ISO time like 2026-05-01T12:00:00Z`);
}

/** `llm.traces.raw:3:1042` → { topic, partition: 3, offset: '1042' }. */
export function parseDlqId(text: string): DlqId {
  const m = /^(.+):(\d{1,10}):(\d{1,19})$/.exec(text.trim());
  if (!m || !TOPIC_RE.test(m[1]!)) throw new UsageError(`--id "${text}" is not topic:partition:offset (as printed by \`npm run dlq -- list\`), e.g. llm.traces.raw:0:42`);
  const partition = Number(m[2]);
  if (partition > 2_147_483_647) throw new UsageError(`--id "${text}": partition ${m[2]} is out of range`);
  const offset = BigInt(m[3]!);
  if (offset > 9_223_372_036_854_775_807n) throw new UsageError(`--id "${text}": offset ${m[3]} is out of range`);
  return { topic: m[1]!, partition, offset: offset.toString() };
}

export function formatDlqId(id: DlqId): string {
  return `${id.topic}:${id.partition}:${id.offset}`;
}

function parseLimit(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 100_000) throw new UsageError(`--limit "${text}" must be a whole number from 1 to 100000`);
  return Number(text);
}

function parseTopic(flag: string, text: string): string {
  if (!TOPIC_RE.test(text)) throw new UsageError(`${flag} "${text}" is not a Kafka topic name ([A-Za-z0-9._-])`);
  return text;
}

const LIST_FLAGS = new Set(['--id', '--since', '--reason', '--topic', '--limit', '--json']);
const REPLAY_FLAGS = new Set(['--id', '--since', '--reason', '--topic', '--limit', '--dry-run', '--force', '--to-topic']);
const BOOLEAN_FLAGS = new Set(['--json', '--dry-run', '--force']);

export function parseDlqArgs(argv: readonly string[], now: number): DlqCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command !== 'list' && command !== 'replay') throw new UsageError(`unknown command "${command}": expected list or replay`);
  const allowed = command === 'list' ? LIST_FLAGS : REPLAY_FLAGS;

  const filter: DlqFilter = {};
  const ids: DlqId[] = [];
  const seen = new Set<string>();
  let limit = command === 'list' ? 50 : 1_000;
  let json = false;
  let dryRun = false;
  let force = false;
  let toTopic: string | undefined;

  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { command: 'help' };
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    if (!allowed.has(flag)) {
      throw new UsageError(arg.startsWith('-') ? `${command}: unknown option ${flag}` : `${command}: unexpected argument "${arg}"`);
    }
    if (BOOLEAN_FLAGS.has(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      if (flag === '--json') json = true;
      else if (flag === '--dry-run') dryRun = true;
      else force = true;
      continue;
    }
    if (flag !== '--id' && seen.has(flag)) throw new UsageError(`${flag} given twice`);
    seen.add(flag);
    const value = inline ?? rest[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--id':
        // `--id a --id b`, `--id a,b` and `--id a b` all work: ids are what `list` printed.
        for (const part of value.split(',').filter(Boolean)) ids.push(parseDlqId(part));
        while (inline === undefined && i + 1 < rest.length && !rest[i + 1]!.startsWith('-')) {
          for (const part of rest[++i]!.split(',').filter(Boolean)) ids.push(parseDlqId(part));
        }
        break;
      case '--since':
        filter.since = parseSince(value, now);
        break;
      case '--reason':
        if (value.trim() === '') throw new UsageError('--reason must not be empty');
        filter.reason = value;
        break;
      case '--topic':
        filter.topic = parseTopic(flag, value);
        break;
      case '--limit':
        limit = parseLimit(value);
        break;
      case '--to-topic':
        toTopic = parseTopic(flag, value);
        break;
    }
  }
  if (ids.length > 0) filter.ids = dedupeIds(ids);

  if (command === 'list') return { command, filter, limit, json };
  // Replaying is a write to live topics: never "everything" by omission.
  if (!filter.ids && !filter.reason && !filter.since && !filter.topic) {
    throw new UsageError('replay: choose the dead letters with --id, --reason, --since or --topic (see `npm run dlq -- list`)');
  }
  return { command, filter, limit, dryRun, force, ...(toTopic ? { toTopic } : {}) };
}

function dedupeIds(ids: DlqId[]): DlqId[] {
  const byKey = new Map(ids.map((id) => [formatDlqId(id), id]));
  return [...byKey.values()];
}

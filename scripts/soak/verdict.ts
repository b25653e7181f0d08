/**
 * The soak's samples and what they say: one row per sample (minute), the flatness of RSS
 * and open file descriptors (mean over the last 10 minutes within 10 % of minutes 5–10),
 * and the bound on active parts. Pure, so the rules are unit-tested.
 */
export interface SoakSample {
  /** Seconds since traffic started. */
  t_s: number;
  /** Pid sampled, or null while the pipeline was restarting. */
  pid: number | null;
  rss_mib: number | null;
  fds: number | null;
  /** Event-loop delay over the pipeline's last complete minute (or the filling one after a restart). */
  loop_p99_ms: number | null;
  loop_max_ms: number | null;
  /** Active parts per table (traces, traces_1m, …), summed over partitions. */
  parts: Record<string, number>;
  /** Events acknowledged (202) so far and the 503s / connection errors the clients saw. */
  acknowledged: number;
  unavailable: number;
  network_errors: number;
  kills: number;
}

export interface Flatness {
  metric: 'rss_mib' | 'fds';
  /** Mean over minutes 5–10 and over the last 10 minutes, or null when the run is too short. */
  early: number | null;
  late: number | null;
  ratio: number | null;
  met: boolean | null;
}

export const FLAT_TOLERANCE = 0.1;
/** Active parts per table above which ClickHouse's merges are falling behind the inserts. */
export const PARTS_BOUND = 300;

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** Needs 15 minutes of samples (minutes 5–10 and a last 10 that starts after minute 5). */
export function flatness(samples: readonly SoakSample[], metric: Flatness['metric']): Flatness {
  const end = samples.length ? samples[samples.length - 1].t_s : 0;
  if (end < 15 * 60) return { metric, early: null, late: null, ratio: null, met: null };
  const values = (from: number, to: number) =>
    samples.filter((s) => s.t_s >= from && s.t_s <= to && s[metric] !== null).map((s) => s[metric] as number);
  const early = mean(values(5 * 60, 10 * 60));
  const late = mean(values(end - 10 * 60, end));
  if (early === null || late === null || early === 0) return { metric, early, late, ratio: null, met: null };
  const ratio = late / early;
  return { metric, early: round1(early), late: round1(late), ratio: Math.round(ratio * 1000) / 1000, met: Math.abs(ratio - 1) <= FLAT_TOLERANCE };
}

export function maxParts(samples: readonly SoakSample[]): { table: string; parts: number } {
  let best = { table: '', parts: 0 };
  for (const s of samples) for (const [table, parts] of Object.entries(s.parts)) if (parts > best.parts) best = { table, parts };
  return best;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The samples as a markdown table (RELIABILITY.md takes it as printed). */
export function sampleTable(samples: readonly SoakSample[], tables: readonly string[]): string {
  const cell = (v: number | null) => (v === null ? '–' : v.toLocaleString('en-US'));
  const head = ['min', 'acknowledged', 'kills', 'RSS MiB', 'FDs', 'loop p99 / max ms', ...tables.map((t) => `parts ${t}`)];
  const rows = samples.map((s) => [
    (s.t_s / 60).toFixed(1),
    cell(s.acknowledged),
    String(s.kills),
    cell(s.rss_mib),
    cell(s.fds),
    s.loop_p99_ms === null ? '– (restarting)' : `${s.loop_p99_ms} / ${s.loop_max_ms}`,
    ...tables.map((t) => cell(s.parts[t] ?? null)),
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

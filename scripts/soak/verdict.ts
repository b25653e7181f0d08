/**
 * The soak's samples and what they say: one row per sample (minute) with each process's
 * RSS, open file descriptors and event-loop delay; the flatness of RSS and FDs per process
 * (mean over the last 10 minutes within 10 % of minutes 5–10); the bound on active parts.
 * Pure, so the rules are unit-tested.
 */
export interface ProcessSample {
  pid: number;
  rss_mib: number;
  fds: number;
  /** Event-loop delay over the process's last complete minute (or the filling one after a restart); null where it has no /healthz. */
  loop_p99_ms: number | null;
  loop_max_ms: number | null;
}

export interface SoakSample {
  /** Seconds since traffic started. */
  t_s: number;
  /** Per process name; null while that process was down (killed, restarting). */
  procs: Record<string, ProcessSample | null>;
  /** Active parts per table (traces, traces_1m, …), summed over partitions; {} while the engine was down. */
  parts: Record<string, number>;
  /** Events acknowledged (202) so far and the 503s / connection errors the clients saw. */
  acknowledged: number;
  unavailable: number;
  network_errors: number;
  /** Faults so far: SIGKILLs, and in distributed mode broker outages. */
  faults: number;
}

export interface Flatness {
  process: string;
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
export function flatness(samples: readonly SoakSample[], process: string, metric: Flatness['metric']): Flatness {
  const end = samples.length ? samples[samples.length - 1].t_s : 0;
  if (end < 15 * 60) return { process, metric, early: null, late: null, ratio: null, met: null };
  const values = (from: number, to: number) =>
    samples.filter((s) => s.t_s >= from && s.t_s <= to && s.procs[process]).map((s) => s.procs[process]![metric]);
  const early = mean(values(5 * 60, 10 * 60));
  const late = mean(values(Math.max(end - 10 * 60, 10 * 60 + 1), end)); // never overlaps minutes 5–10
  if (early === null || late === null || early === 0) return { process, metric, early, late, ratio: null, met: null };
  const ratio = late / early;
  return { process, metric, early: round1(early), late: round1(late), ratio: Math.round(ratio * 1000) / 1000, met: Math.abs(ratio - 1) <= FLAT_TOLERANCE };
}

/** Every process seen in any sample, in the order first seen. */
export function processNames(samples: readonly SoakSample[]): string[] {
  return [...new Set(samples.flatMap((s) => Object.keys(s.procs)))];
}

export function maxParts(samples: readonly SoakSample[]): { table: string; parts: number } {
  let best = { table: '', parts: 0 };
  for (const s of samples) for (const [table, parts] of Object.entries(s.parts)) if (parts > best.parts) best = { table, parts };
  return best;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * The samples as a markdown table (RELIABILITY.md takes it as printed): per process one
 * cell "RSS MiB / FDs / loop p99 ms", a dash while it was down.
 */
export function sampleTable(samples: readonly SoakSample[], tables: readonly string[]): string {
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '–' : v.toLocaleString('en-US'));
  const names = processNames(samples);
  const head = ['min', 'acknowledged', 'faults', ...names.map((n) => `${n} RSS MiB / FDs / loop p99 ms`), ...tables.map((t) => `parts ${t}`)];
  const rows = samples.map((s) => [
    (s.t_s / 60).toFixed(1),
    cell(s.acknowledged),
    String(s.faults),
    ...names.map((n) => {
      const p = s.procs[n];
      return p ? `${cell(p.rss_mib)} / ${cell(p.fds)} / ${cell(p.loop_p99_ms)}` : '– (down)';
    }),
    ...tables.map((t) => cell(s.parts[t])),
  ]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

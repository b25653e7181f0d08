/**
 * Summary of a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function and
 * per file (node_modules grouped by package), and the garbage collector's share. Pure.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number; scriptId?: string | number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of busy time (everything but idle), 0..100. */
  pct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  gcMs: number;
  /** GC self time as a share of busy time, 0..100. */
  gcPct: number;
  programMs: number;
  topFunctions: (ProfileEntry & { file: string; line: number })[];
  topFiles: ProfileEntry[];
}

const SPECIAL = new Set(['(garbage collector)', '(idle)', '(program)', '(root)']);

/** A short, groupable name for a script URL: repo-relative path, npm package, or node internals. */
export function fileGroup(url: string, repoRoot = ''): string {
  if (!url) return '(native)';
  let path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (path.startsWith('node:')) return path.startsWith('node:internal/') ? 'node:internal' : path;
  if (repoRoot && path.startsWith(repoRoot)) path = path.slice(repoRoot.length).replace(/^\/+/, '');
  return path;
}

/**
 * Self time per node from samples/timeDeltas (the duration of sample i is the delta
 * to sample i+1, as Chrome DevTools counts it); falls back to hitCount × mean interval.
 */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0 && deltas.length === samples.length) {
    let t = profile.startTime;
    const stamps = deltas.map((d) => (t += d));
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < samples.length ? stamps[i + 1] : profile.endTime;
      const dur = Math.max(0, next - stamps[i]);
      self.set(samples[i], (self.get(samples[i]) ?? 0) + dur);
    }
    return self;
  }
  const hits = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
  const interval = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const n of profile.nodes) if (n.hitCount) self.set(n.id, n.hitCount * interval);
  return self;
}

export function summarizeProfile(profile: CpuProfile, options: { top?: number; repoRoot?: string } = {}): ProfileSummary {
  const top = options.top ?? 15;
  const self = selfTimes(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let totalUs = 0;
  let idleUs = 0;
  let gcUs = 0;
  let programUs = 0;
  const fns = new Map<string, { name: string; file: string; line: number; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node || us <= 0) continue;
    totalUs += us;
    const fname = node.callFrame.functionName;
    if (fname === '(idle)') {
      idleUs += us;
      continue;
    }
    if (fname === '(garbage collector)') gcUs += us;
    if (fname === '(program)') programUs += us;
    const file = SPECIAL.has(fname) ? fname : fileGroup(node.callFrame.url, options.repoRoot);
    const line = node.callFrame.lineNumber + 1;
    const name = fname || '(anonymous)';
    const key = `${name}\u0000${file}\u0000${line}`;
    const entry = fns.get(key) ?? { name, file, line, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const share = (us: number) => (busyUs > 0 ? Math.round((us / busyUs) * 1000) / 10 : 0);
  return {
    totalMs: ms(totalUs),
    idleMs: ms(idleUs),
    busyMs: ms(busyUs),
    gcMs: ms(gcUs),
    gcPct: share(gcUs),
    programMs: ms(programUs),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us || a.name.localeCompare(b.name))
      .slice(0, top)
      .map((f) => ({ name: f.name, file: f.file, line: f.line, selfMs: ms(f.us), pct: share(f.us) })),
    topFiles: [...files.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: ms(us), pct: share(us) })),
  };
}

/** A few lines for the console. */
export function formatProfileSummary(s: ProfileSummary, lines = 10): string {
  const out = [
    `CPU profile: ${s.busyMs} ms busy of ${s.totalMs} ms sampled; GC ${s.gcMs} ms (${s.gcPct}% of busy)`,
    '  top files by self time:',
    ...s.topFiles.slice(0, lines).map((f) => `    ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}`),
    '  top functions by self time:',
    ...s.topFunctions.slice(0, lines).map((f) => `    ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.file}:${f.line}`),
  ];
  return out.join('\n');
}

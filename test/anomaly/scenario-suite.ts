import { createDetectionEngine } from '../../services/anomaly/engine/engine.ts';
import { groupAlertEvents, isNotifiable } from '../../services/anomaly/engine/grouping.ts';
import { ALL, type AlertEvent, type AlertGroup } from '../../services/anomaly/types.ts';
import { createSimulator, DAY_MINUTES, MINUTE_MS, SIM_START, type FeatureSpec, type Incident, type ModelSpec } from './simulator.ts';

/**
 * The labelled scenario suite: 16 simulated days (Sunday to Monday two weeks later) of
 * 12 features × 3 models, the first 8 loaded with `warm` (as the service does from the
 * rollups: a week plus a day, so that the week-ago windows of the first live day exist),
 * the next 8 judged minute by minute with `closeMinute`, with one incident per day from
 * day 9 on (day 8, a Monday, is clean).
 * Scores every notification against the labelled incident windows.
 */

export const MODELS: ModelSpec[] = [
  { name: 'gpt-4o', price: 0.0075, latency: 900 },
  { name: 'claude-sonnet', price: 0.009, latency: 1200 },
  { name: 'gpt-4o-mini', price: 0.0004, latency: 450 },
];

export const FEATURES: FeatureSpec[] = [
  { name: 'support-chat', peak: 120, models: { 'gpt-4o': 0.7, 'gpt-4o-mini': 0.3 }, tokens: 1400 },
  { name: 'search', peak: 90, models: { 'claude-sonnet': 0.5, 'gpt-4o-mini': 0.5 }, tokens: 900 },
  { name: 'summarize', peak: 70, models: { 'gpt-4o': 0.4, 'gpt-4o-mini': 0.6 }, tokens: 2500 },
  { name: 'email-draft', peak: 60, models: { 'gpt-4o': 0.8, 'claude-sonnet': 0.2 }, tokens: 1100 },
  { name: 'translate', peak: 45, models: { 'gpt-4o': 0.5, 'gpt-4o-mini': 0.5 }, tokens: 700 },
  { name: 'code-review', peak: 40, models: { 'claude-sonnet': 0.6, 'gpt-4o': 0.4 }, tokens: 3000 },
  { name: 'classify', peak: 35, models: { 'gpt-4o-mini': 0.8, 'gpt-4o': 0.2 }, tokens: 300 },
  { name: 'extract', peak: 30, models: { 'gpt-4o': 0.6, 'gpt-4o-mini': 0.4 }, tokens: 1200 },
  { name: 'sql-gen', peak: 25, models: { 'gpt-4o': 0.5, 'claude-sonnet': 0.5 }, tokens: 1500 },
  { name: 'onboarding', peak: 20, models: { 'gpt-4o': 0.7, 'gpt-4o-mini': 0.3 }, tokens: 800 },
  { name: 'moderation', peak: 18, models: { 'gpt-4o-mini': 1 }, tokens: 250 },
  { name: 'reports', peak: 12, models: { 'claude-sonnet': 0.7, 'gpt-4o': 0.3 }, tokens: 4000 },
];

const at = (day: number, hour: number, minute = 0): number => day * DAY_MINUTES + hour * 60 + minute;

/**
 * Detection limits, minutes from the incident's start to the first notification. Errors:
 * the incident is on a weekend leaf with ~25 requests a minute, i.e. 2 errors a minute at
 * 8 %; the pooled binomial test needs 2–3 such minutes and the 3-of-5 rule 3 anomalous
 * ones (measured 4–8 min over four seeds). Creep: +2 %/h must reach ~+10 % against
 * per-minute noise of ~14 % before the half-hourly CUSUM is sure (measured 5.5 h).
 */
export const DETECT_WITHIN = { spike: 5, latency: 5, errors: 10, quality: 15, creep: 6 * 60, drop: 10, outage: 5 } as const;
/** Every alert an incident raised must resolve within this many minutes of its end. */
export const RESOLVE_WITHIN = { default: 60, creep: 120 } as const;

export const INCIDENTS: Incident[] = [
  { name: 'cost spike x3, 15 min', metric: 'cost_usd', start: at(9, 10), end: at(9, 10, 15), feature: 'support-chat', model: 'gpt-4o', detectWithin: DETECT_WITHIN.spike, effect: () => ({ costFactor: 3 }) },
  { name: 'p95 latency x2, 30 min', metric: 'latency_p95_ms', start: at(10, 14), end: at(10, 14, 30), feature: 'search', model: 'claude-sonnet', detectWithin: DETECT_WITHIN.latency, effect: () => ({ latencyFactor: 2 }) },
  {
    name: 'cost creep +2 %/h, 8 h',
    metric: 'cost_usd',
    start: at(11, 8),
    end: at(11, 16),
    feature: 'support-chat',
    model: 'gpt-4o',
    detectWithin: DETECT_WITHIN.creep,
    effect: (m) => ({ costFactor: Math.pow(1.02, (m - at(11, 8)) / 60) }),
  },
  {
    name: 'eval 0.90 -> 0.75 (prompt v2), 6 h',
    metric: 'eval_score',
    start: at(12, 9),
    end: at(12, 15),
    feature: 'summarize',
    model: ALL,
    detectWithin: DETECT_WITHIN.quality,
    effect: () => ({ evalMean: 0.75, promptVersion: 'summarize-v2' }),
  },
  { name: 'error rate 0.5 % -> 8 %, 30 min', metric: 'error_rate', start: at(13, 13), end: at(13, 13, 30), feature: 'email-draft', model: 'gpt-4o', detectWithin: DETECT_WITHIN.errors, effect: () => ({ errorRate: 0.08 }) },
  { name: 'traffic drop to zero, 60 min', metric: 'requests', start: at(14, 14), end: at(14, 15), feature: 'translate', model: ALL, detectWithin: DETECT_WITHIN.drop, effect: () => ({ trafficFactor: 0 }) },
  { name: 'provider outage gpt-4o 50 % errors, 40 min', metric: 'error_rate', start: at(15, 10), end: at(15, 10, 40), feature: ALL, model: 'gpt-4o', detectWithin: DETECT_WITHIN.outage, effect: () => ({ errorRate: 0.5 }) },
];

export const WARM_DAYS = 8;
export const TOTAL_DAYS = 16;

/** Groups (notification messages) sent while the incident was on, that concern its metric. */
export function groupsDuring(r: SuiteResult, inc: Incident): AlertGroup[] {
  const out: AlertGroup[] = [];
  for (const [m, groups] of r.groupsByMinute) {
    if (m < inc.start || m > inc.end + GRACE) continue;
    for (const g of groups) if (g.common.metric === inc.metric && g.common.state === 'firing' && g.events.some((e) => relatedTo(e, inc))) out.push(g);
  }
  return out;
}

export interface IncidentOutcome {
  incident: Incident;
  detected: boolean;
  /** Minutes from the start to the end of the minute whose judgement notified. */
  timeToDetect: number | null;
  resolved: boolean;
  /** Notifications (first firings, not covered) inside the incident's window. */
  notifications: number;
  /** Groups of the minute that first notified. */
  firstGroups: AlertGroup[];
}

export interface SuiteResult {
  outcomes: IncidentOutcome[];
  falsePositives: AlertEvent[];
  truePositives: number;
  /** First-firing notifications on clean days (no incident that day). */
  falsePositivesOnCleanDays: number;
  events: AlertEvent[];
  groupsByMinute: Map<number, AlertGroup[]>;
  minutesJudged: number;
  engineStats: ReturnType<ReturnType<typeof createDetectionEngine>['stats']>;
}

/** An event belongs to an incident when its series overlaps the incident's leaves and it starts in [start, end + grace). */
function relatedTo(e: AlertEvent, inc: Incident): boolean {
  const fOk = inc.feature === ALL || e.key.feature === ALL || e.key.feature === inc.feature;
  const mOk = inc.model === ALL || e.key.model === ALL || e.key.model === inc.model;
  return fOk && mOk;
}

const GRACE = 60;

export function runSuite(seed = 20250106): SuiteResult {
  const sim = createSimulator({ seed, features: FEATURES, models: MODELS, incidents: INCIDENTS });
  const engine = createDetectionEngine({ repeatIntervalMinutes: 240, groupMinFeatures: 3 });
  const events: AlertEvent[] = [];
  const groupsByMinute = new Map<number, AlertGroup[]>();
  let minutesJudged = 0;
  for (let m = 0; m < TOTAL_DAYS * DAY_MINUTES; m++) {
    const { minute, rows } = sim.minute(m);
    if (m < WARM_DAYS * DAY_MINUTES) {
      for (const r of rows) engine.warm(r.series, [r.agg]);
      continue;
    }
    const ev = engine.closeMinute(minute, rows);
    minutesJudged++;
    if (ev.length === 0) continue;
    events.push(...ev);
    const groups = groupAlertEvents(ev, 3);
    if (groups.length > 0) groupsByMinute.set(m, groups);
  }

  const offsetOf = (e: AlertEvent): number => (e.at - SIM_START) / MINUTE_MS;
  const firstFirings = events.filter((e) => e.state === 'firing' && e.previous !== 'firing' && isNotifiable(e));
  const inWindow = (e: AlertEvent, inc: Incident): boolean => relatedTo(e, inc) && offsetOf(e) > inc.start && offsetOf(e) <= inc.end + GRACE;

  const outcomes: IncidentOutcome[] = INCIDENTS.map((inc) => {
    const mine = firstFirings.filter((e) => inWindow(e, inc));
    const first = mine.find((e) => e.key.metric === inc.metric) ?? null;
    const ttd = first ? offsetOf(first) - inc.start : null;
    // every alert of the incident's series that started firing in the window is resolved by the deadline
    const deadline = inc.end + (inc.metric === 'cost_usd' && inc.end - inc.start > 120 ? RESOLVE_WITHIN.creep : RESOLVE_WITHIN.default);
    const fired = events.filter((e) => e.state === 'firing' && e.previous !== 'firing' && inWindow(e, inc));
    const resolved = fired.length > 0 && fired.every((f) => events.some((e) => e.state === 'resolved' && e.previous === 'firing' && e.key.metric === f.key.metric && e.key.feature === f.key.feature && e.key.model === f.key.model && e.started_at === f.started_at && offsetOf(e) <= deadline));
    const firstGroups = first ? (groupsByMinute.get(offsetOf(first) - 1) ?? []) : [];
    return { incident: inc, detected: first !== null && ttd !== null && ttd <= inc.detectWithin, timeToDetect: ttd, resolved, notifications: mine.length, firstGroups };
  });
  const falsePositives = firstFirings.filter((e) => !INCIDENTS.some((inc) => inWindow(e, inc)));
  const incidentDays = new Set(INCIDENTS.map((i) => Math.floor(i.start / DAY_MINUTES)));
  const falsePositivesOnCleanDays = falsePositives.filter((e) => !incidentDays.has(Math.floor(offsetOf(e) / DAY_MINUTES))).length;
  return { outcomes, falsePositives, truePositives: firstFirings.length - falsePositives.length, falsePositivesOnCleanDays, events, groupsByMinute, minutesJudged, engineStats: engine.stats() };
}

/** The table the test prints. */
export function formatSuite(r: SuiteResult): string {
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(`${pad('incident', 44)} ${pad('detected', 9)} ${pad('ttd (min)', 10)} ${pad('limit', 6)} ${pad('resolved', 9)} ${pad('alerts', 7)} messages`);
  for (const o of r.outcomes) {
    const messages = groupsDuring(r, o.incident).length;
    lines.push(`${pad(o.incident.name, 44)} ${pad(o.detected ? 'yes' : 'NO', 9)} ${pad(o.timeToDetect === null ? '-' : String(o.timeToDetect), 10)} ${pad(String(o.incident.detectWithin), 6)} ${pad(o.resolved ? 'yes' : 'NO', 9)} ${pad(String(o.notifications), 7)} ${messages}`);
  }
  lines.push('(alerts: uncovered first firings of the incident; messages: notification groups they went out in)');
  const detected = r.outcomes.filter((o) => o.detected);
  const recall = detected.length / r.outcomes.length;
  const all = r.truePositives + r.falsePositives.length;
  const precision = all === 0 ? 1 : r.truePositives / all;
  const mttd = detected.reduce((s, o) => s + (o.timeToDetect ?? 0), 0) / Math.max(1, detected.length);
  const mttdFast = detected.filter((o) => o.incident.detectWithin < 60);
  lines.push('');
  lines.push(`recall ${recall.toFixed(2)}  precision ${precision.toFixed(3)} (${r.truePositives} notifications in incident windows, ${r.falsePositives.length} outside)`);
  lines.push(`mean time to detect ${mttd.toFixed(1)} min (all), ${(mttdFast.reduce((s, o) => s + (o.timeToDetect ?? 0), 0) / Math.max(1, mttdFast.length)).toFixed(1)} min (excluding the creep)`);
  lines.push(`false positives on clean days: ${r.falsePositivesOnCleanDays}; minutes judged: ${r.minutesJudged}; series: ${r.engineStats.series}`);
  for (const fp of r.falsePositives) lines.push(`  FP ${new Date(fp.at).toISOString()} ${fp.summary}`);
  return lines.join('\n');
}

import { ALL, type AlertEvent, type AlertGroup } from '../types.ts';
import { escapeMrkdwn, formatDuration, formatTime, formatValue, truncate } from './format.ts';
import { isReminder } from './notifiable.ts';
import { firingAlertsLink, metricLink } from './query-links.ts';
import { sparkline } from './sparkline.ts';

/**
 * The Slack incoming-webhook message for one alert group: Block Kit for people, plus a
 * plain `text` that carries the same key facts for notifications, screen readers and
 * clients that do not render blocks. One group is one message, however many features
 * it covers, so a provider outage does not flood the channel.
 */

/** Slack's limits for what this module builds (Block Kit reference). */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, headerText: 150, fieldText: 2000, fields: 10, contextElements: 10 } as const;
/** Features listed by name in a group message; the rest are counted. */
export const MAX_LISTED_EVENTS = 15;

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

type Block = Record<string, unknown>;
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.sectionText) });
const section = (text: string): Block => ({ type: 'section', text: mrkdwn(text) });

interface Headline {
  emoji: string;
  label: string;
}

function headline(group: AlertGroup): Headline {
  const state = group.common.state;
  if (state === 'resolved') return { emoji: '✅', label: 'Resolved' };
  if (state === 'pending') return { emoji: '🟡', label: 'Pending' };
  if (group.events.length > 0 && group.events.every(isReminder)) return { emoji: '🔁', label: 'Still firing' };
  return { emoji: '🔴', label: 'Firing' };
}

const dimName = (v: string, all: string) => (v === ALL ? all : v);
/** "feature checkout · model gpt-4o"; "*" reads as "all features" / "all models". */
function scopeOf(e: AlertEvent): string {
  return `${dimName(e.key.feature, 'all features')} · ${dimName(e.key.model, 'all models')}`;
}

const expectedLabel = (e: AlertEvent) => (e.key.rule === 'anomaly' ? 'baseline' : 'limit');
const ruleOf = (e: AlertEvent) => (e.key.rule === 'anomaly' ? `anomaly (${e.detector})` : `${e.key.rule} (${e.detector})`);

function valueVsExpected(e: AlertEvent): string {
  const v = formatValue(e.key.metric, e.value);
  return e.expected === null ? v : `${v} vs ${expectedLabel(e)} ${formatValue(e.key.metric, e.expected)}`;
}

/** "for 23 min" while firing, "lasted 1 h 5 min" once resolved. */
function durationOf(state: AlertGroup['common']['state'], startedAt: number, at: number): string {
  return `${state === 'resolved' ? 'lasted' : 'for'} ${formatDuration(at - startedAt)}`;
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Most urgent first: critical before warning, then the more anomalous, then by name for a stable order. */
function byUrgency(a: AlertEvent, b: AlertEvent): number {
  const sev = (e: AlertEvent) => (e.severity === 'critical' ? 0 : 1);
  return sev(a) - sev(b) || b.score - a.score || natural(a.key.feature, b.key.feature) || natural(a.key.model, b.key.model);
}

function linksBlock(group: AlertGroup, queryApiUrl: string | undefined, metric: string): Block[] {
  if (!queryApiUrl) return [];
  const link = (url: string, label: string) => `<${escapeMrkdwn(url)}|${escapeMrkdwn(label)}>`;
  return [
    {
      type: 'context',
      elements: [mrkdwn(`${link(metricLink(queryApiUrl, group), `${metric} around the alert`)}  ·  ${link(firingAlertsLink(queryApiUrl), 'all firing alerts')}`)],
    },
  ];
}

function singleEventBlocks(group: AlertGroup, e: AlertEvent): Block[] {
  const fields: string[] = [
    `*Value*\n${escapeMrkdwn(valueVsExpected(e))}`,
    `*How far out*\n${escapeMrkdwn(e.deviation || '—')}`,
    `*Feature*\n${escapeMrkdwn(dimName(e.key.feature, 'all features'))}`,
    `*Model*\n${escapeMrkdwn(dimName(e.key.model, 'all models'))}`,
  ];
  if (e.prompt_version) fields.push(`*Prompt version*\n${escapeMrkdwn(e.prompt_version)}`);
  fields.push(
    `*Started*\n${formatTime(e.started_at)}`,
    `*Duration*\n${durationOf(group.common.state, e.started_at, e.at)}`,
    `*Severity*\n${e.severity}`,
    `*Rule*\n${escapeMrkdwn(ruleOf(e))}`,
  );
  const blocks: Block[] = [];
  if (e.summary) blocks.push(section(escapeMrkdwn(e.summary)));
  blocks.push({ type: 'section', fields: fields.slice(0, SLACK_LIMITS.fields).map((f) => mrkdwn(truncate(f, SLACK_LIMITS.fieldText))) });
  if (e.recent.length > 0) blocks.push(section(`*Last hour* \`${sparkline(e.recent)}\``));
  return blocks;
}

/** One line per event, capped by count and by Slack's section text limit; the rest are counted. */
function eventList(events: AlertEvent[], commonModel: boolean): string {
  const lines: string[] = [];
  let length = 0;
  const budget = SLACK_LIMITS.sectionText - 40; // room for the "and N more" line
  for (const e of events) {
    if (lines.length >= MAX_LISTED_EVENTS) break;
    const who = commonModel ? dimName(e.key.feature, 'all features') : scopeOf(e);
    const line = truncate(
      `• *${escapeMrkdwn(who)}* — ${escapeMrkdwn(valueVsExpected(e))}${e.deviation ? ` (${escapeMrkdwn(e.deviation)})` : ''}${e.recent.length ? ` \`${sparkline(e.recent.slice(-30))}\`` : ''}`,
      300,
    );
    if (length + line.length + 1 > budget) break;
    lines.push(line);
    length += line.length + 1;
  }
  const more = events.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more`);
  return lines.join('\n');
}

function groupBlocks(group: AlertGroup, events: AlertEvent[]): Block[] {
  const startedAt = Math.min(...events.map((e) => e.started_at));
  const at = Math.max(...events.map((e) => e.at));
  const severity = events.some((e) => e.severity === 'critical') ? 'critical' : 'warning';
  const shared = [group.common.rule && `rule \`${escapeMrkdwn(group.common.rule)}\``, group.common.model && group.common.model !== ALL && `model \`${escapeMrkdwn(group.common.model)}\``]
    .filter(Boolean)
    .join(', ');
  const fields = [`*Alerts*\n${events.length}`, `*Severity*\n${severity}`, `*Started*\n${formatTime(startedAt)}`, `*Duration*\n${durationOf(group.common.state, startedAt, at)}`];
  const versions = [...new Set(events.map((e) => e.prompt_version).filter((v): v is string => !!v))];
  if (versions.length > 0) fields.push(`*Prompt versions*\n${escapeMrkdwn(truncate(versions.slice(0, 5).join(', ') + (versions.length > 5 ? ', …' : ''), 500))}`);
  return [
    section(`${events.length} series changed together${shared ? ` (${shared})` : ''}: likely one shared cause.`),
    { type: 'section', fields: fields.map((f) => mrkdwn(f)) },
    section(eventList(events, !!group.common.model && group.common.model !== ALL)),
  ];
}

function headerTitle(group: AlertGroup, events: AlertEvent[], h: Headline, metric: string): string {
  if (events.length === 1) return `${h.emoji} ${h.label}: ${metric} — ${scopeOf(events[0])}`;
  const features = new Set(events.map((e) => e.key.feature)).size;
  const model = group.common.model && group.common.model !== ALL ? ` · model ${group.common.model}` : '';
  return `${h.emoji} ${h.label}: ${metric} on ${features} feature${features === 1 ? '' : 's'}${model}`;
}

/** The fallback text (before escaping): state, metric, where, value vs expected, how far out, since when. */
function fallbackText(group: AlertGroup, events: AlertEvent[], title: string): string {
  if (events.length === 1) {
    const e = events[0];
    return truncate(
      `${title}: ${valueVsExpected(e)}${e.deviation ? ` (${e.deviation})` : ''}; started ${formatTime(e.started_at)}, ${durationOf(group.common.state, e.started_at, e.at)}.${e.summary ? ` ${e.summary}` : ''}`,
      SLACK_LIMITS.sectionText,
    );
  }
  const names = [...new Set(events.map((e) => dimName(e.key.feature, 'all features')))];
  const listed = names.slice(0, MAX_LISTED_EVENTS).join(', ') + (names.length > MAX_LISTED_EVENTS ? ` and ${names.length - MAX_LISTED_EVENTS} more` : '');
  const startedAt = Math.min(...events.map((e) => e.started_at));
  return truncate(`${title} (${listed}); started ${formatTime(startedAt)}.`, SLACK_LIMITS.sectionText);
}

/**
 * Formats one alert group as a Slack incoming-webhook payload. Callers pass the
 * notifiable part of the group (see notifiable.ts); `queryApiUrl` adds links into the
 * query API. The result stays within Slack's block and text limits for any group size.
 */
export function formatSlackMessage(group: AlertGroup, opts: { queryApiUrl?: string } = {}): SlackMessage {
  const events = [...group.events].sort(byUrgency);
  if (events.length === 0) throw new Error(`alert group ${group.group_id} has no events to format`);
  const h = headline(group);
  const metric = group.common.metric ?? events[0].key.metric;
  const title = headerTitle(group, events, h, metric);
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(title, SLACK_LIMITS.headerText), emoji: true } },
    ...(events.length === 1 ? singleEventBlocks(group, events[0]) : groupBlocks(group, events)),
    ...linksBlock(group, opts.queryApiUrl, metric),
  ];
  // Slack reads the top-level text as mrkdwn too: escaped whole, it cannot ping or link.
  return { text: escapeMrkdwn(fallbackText(group, events, title)), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

import { z } from 'zod';
import { defineQuery, runQuery } from '../../core/store/named-query.ts';
import type { Store } from '../../core/store/store.ts';
import type { AlertEvent } from '../types.ts';
import { clickhouseTimeMs, num } from './row-values.ts';

/** The alerts still open (pending or firing), read back at start so a restart does not re-alert. */

const LATEST = ['alert_id', 'state', 'previous', 'at', 'started_at', 'severity', 'direction', 'value', 'expected', 'score', 'deviation', 'summary', 'detector', 'prompt_version', 'covered_by'] as const;

/** alerts.open_latest: the latest change (`<column>_`) of every alert whose latest change is not resolved. */
export const openAlertsAtStart = defineQuery({
  name: 'alerts.open_latest',
  query: `SELECT rule, metric, feature, model, ${LATEST.map((c) => `argMax(${c}, tuple(at, state = 'resolved')) AS ${c}_`).join(', ')},
            argMax(recent, tuple(at, state = 'resolved')) AS recent_
     FROM alerts FINAL GROUP BY rule, metric, feature, model HAVING state_ != 'resolved'`,
  params: z.object({}),
  row: z.object({
    rule: z.string(),
    metric: z.string(),
    feature: z.string(),
    model: z.string(),
    alert_id_: z.string(),
    state_: z.string(),
    previous_: z.string(),
    at_: z.string(),
    started_at_: z.string(),
    severity_: z.string(),
    direction_: z.string(),
    value_: num.nullable(),
    expected_: num.nullable(),
    score_: num,
    deviation_: z.string(),
    summary_: z.string(),
    detector_: z.string(),
    prompt_version_: z.string(),
    recent_: z.array(z.number().nullable()).nullish(),
    covered_by_: z.string(),
  }),
});

export type OpenAlertRow = z.output<typeof openAlertsAtStart.row>;

/** One row as the alert event it last was; '' (the table's "none") becomes null. */
export function openAlertEvent(r: OpenAlertRow): AlertEvent {
  return {
    alert_id: r.alert_id_,
    key: { rule: r.rule, metric: r.metric as AlertEvent['key']['metric'], feature: r.feature, model: r.model },
    state: r.state_ as AlertEvent['state'],
    previous: r.previous_ === '' ? null : (r.previous_ as AlertEvent['state']),
    at: clickhouseTimeMs(r.at_),
    started_at: clickhouseTimeMs(r.started_at_),
    severity: r.severity_ as AlertEvent['severity'],
    direction: r.direction_ as AlertEvent['direction'],
    value: r.value_,
    expected: r.expected_,
    score: r.score_,
    deviation: r.deviation_,
    summary: r.summary_,
    detector: r.detector_,
    prompt_version: r.prompt_version_ === '' ? null : r.prompt_version_,
    recent: r.recent_ ?? [],
    covered_by: r.covered_by_ === '' ? null : r.covered_by_,
  };
}

/** The latest change of every alert that is not resolved (pending or firing), for restore at start. */
export async function readOpenAlerts(store: Store): Promise<AlertEvent[]> {
  return (await runQuery(store, openAlertsAtStart, {})).map(openAlertEvent);
}

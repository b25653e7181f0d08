import { z } from 'zod';
import { defineQuery } from '../store/named-query.ts';

/**
 * Reads of the `alerts` table for GET /v1/alerts. The anomaly service writes it, one row
 * per state change of an alert; the latest change per (rule, metric, feature, model) is
 * the alert's current state. Rows come back as the API answers them: '' (the table's
 * "none") becomes null and `silenced` a boolean; DateTime64 columns stay ClickHouse text.
 */

/** Every column, in table order; the zod type is what JSONEachRow gives for it. */
const COLUMNS = {
  alert_id: z.string(),
  rule: z.string(),
  metric: z.string(),
  feature: z.string(),
  model: z.string(),
  state: z.string(),
  previous: z.string(),
  at: z.string(),
  started_at: z.string(),
  severity: z.string(),
  direction: z.string(),
  value: z.number().nullable(),
  expected: z.number().nullable(),
  score: z.number(),
  deviation: z.string(),
  summary: z.string(),
  detector: z.string(),
  prompt_version: z.string(),
  covered_by: z.string(),
  silenced: z.number(),
  silence_id: z.string(),
};
type Column = keyof typeof COLUMNS;

const KEY_COLUMNS = ['rule', 'metric', 'feature', 'model'] as const satisfies readonly Column[];
const ALERT_SELECT = (Object.keys(COLUMNS) as Column[]).join(', ');
/** The columns an alert's latest change decides (every one but the key). */
const LATEST_COLUMNS = (Object.keys(COLUMNS) as Column[]).filter((c) => !(KEY_COLUMNS as readonly string[]).includes(c));

/** A row as the API shows it; the object's key order is the SELECT's (it is the JSON answer). */
function alertRowSchema(order: readonly Column[]) {
  return z.object(Object.fromEntries(order.map((c) => [c, COLUMNS[c]])) as typeof COLUMNS).transform((r) => ({
    ...r,
    previous: r.previous === '' ? null : r.previous,
    silenced: r.silenced === 1,
    covered_by: r.covered_by === '' ? null : r.covered_by,
    silence_id: r.silence_id === '' ? null : r.silence_id,
  }));
}

const dimension = z.string();
const filters = { feature: dimension, model: dimension, metric: dimension, rule: dimension };
/** '' leaves a filter open. */
const WHERE = `({feature:String} = '' OR feature = {feature:String}) AND ({model:String} = '' OR model = {model:String})
      AND ({metric:String} = '' OR metric = {metric:String}) AND ({rule:String} = '' OR rule = {rule:String})`;
const limit = z.number().int().positive();

/** alerts.list: every state change in [from, to) (epoch ms), newest first; state '' for any. */
export const alertList = defineQuery({
  name: 'alerts.list',
  query: `SELECT ${ALERT_SELECT} FROM alerts FINAL
           WHERE ${WHERE} AND ({state:String} = '' OR state = {state:String})
             AND at >= fromUnixTimestamp64Milli({from:Int64}) AND at < fromUnixTimestamp64Milli({to:Int64})
           ORDER BY at DESC, alert_id LIMIT {limit:UInt32}`,
  params: z.object({ ...filters, state: z.string(), from: z.number().int(), to: z.number().int(), limit }),
  row: alertRowSchema(Object.keys(COLUMNS) as Column[]),
});

/** alerts.open: the latest change of every alert that is pending or firing, newest first. */
export const openAlertList = defineQuery({
  name: 'alerts.open',
  query: `SELECT rule, metric, feature, model, ${LATEST_COLUMNS.map((c) => `${c}_latest AS ${c}`).join(', ')} FROM (
             SELECT rule, metric, feature, model, ${LATEST_COLUMNS.map((c) => `argMax(${c}, tuple(alerts.at, alerts.state = 'resolved')) AS ${c}_latest`).join(', ')}
             FROM alerts FINAL WHERE ${WHERE} GROUP BY rule, metric, feature, model)
           WHERE state_latest != 'resolved' ORDER BY at_latest DESC LIMIT {limit:UInt32}`,
  params: z.object({ ...filters, limit }),
  row: alertRowSchema([...KEY_COLUMNS, ...LATEST_COLUMNS]),
});

export type AlertRecord = z.output<typeof alertList.row>;

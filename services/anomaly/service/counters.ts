/** What the anomaly service counts; its stats report them as they are. */
export interface ServiceCounters {
  consumed_traces: number;
  consumed_scores: number;
  undecodable: number;
  minutes_judged: number;
  alert_changes: number;
  notified_groups: number;
  silenced: number;
  warmed_minutes: number;
  caught_up_minutes: number;
}

export function newCounters(): ServiceCounters {
  return { consumed_traces: 0, consumed_scores: 0, undecodable: 0, minutes_judged: 0, alert_changes: 0, notified_groups: 0, silenced: 0, warmed_minutes: 0, caught_up_minutes: 0 };
}

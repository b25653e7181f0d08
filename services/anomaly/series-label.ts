import { ALL, type SeriesId } from './types.ts';

/**
 * A series (feature × model, `*` for the roll-up over all of them) named in alert texts.
 * Two wordings, each for its own sentences.
 */

/** Compact, for anomaly summaries: "support-chat / gpt-4o", "support-chat (all models)", "gpt-4o (all features)", "all traffic". */
export function seriesLabel(s: SeriesId): string {
  if (s.feature === ALL && s.model === ALL) return 'all traffic';
  if (s.model === ALL) return `${s.feature} (all models)`;
  if (s.feature === ALL) return `${s.model} (all features)`;
  return `${s.feature} / ${s.model}`;
}

/** Names quoted, for threshold sentences ("The error rate of feature "x" is …"): "all traffic", `feature "x"`, `model "m"`, `feature "x" on model "m"`. */
export function quotedSeriesLabel(s: SeriesId): string {
  if (s.feature === ALL && s.model === ALL) return 'all traffic';
  if (s.model === ALL) return `feature "${s.feature}"`;
  if (s.feature === ALL) return `model "${s.model}"`;
  return `feature "${s.feature}" on model "${s.model}"`;
}

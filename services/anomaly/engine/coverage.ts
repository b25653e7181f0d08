import { ALL, type SeriesId } from '../types.ts';

/**
 * Which firing alert notifies for an incident that shows on several series of one metric.
 *
 * A cost spike on (support-chat, gpt-4o) also moves (support-chat, *), maybe (*, gpt-4o)
 * and (*, *); a feature whose traffic stops fires on each of its models and on
 * (feature, *). One incident should make one notification; the others are stored and
 * published with `covered_by` = the key of the alert that notified. The rule, applied
 * once when an alert starts firing and then kept for its reminders and its resolve:
 *
 *  1. covered by a firing, more specific series inside it (the specific alert says more:
 *     (support-chat, *) is covered by (support-chat, gpt-4o));
 *  2. else, for a series of one feature, covered by a firing series of the same feature
 *     (a sibling model or the feature's total: one incident of that feature);
 *  3. else, for a series of one feature, covered when at least `groupMinFeatures` other
 *     features already fire on a model it contains (a model-wide incident, e.g. a
 *     provider outage, already notified as one group: features that cross the line a
 *     minute later, or whose total crosses it before their own leaf does, join it
 *     instead of sending a message each);
 *  4. else it notifies.
 *
 * Alerts that start firing in the same minute are decided most specific first, so the
 * leaf notifies and the totals are covered. Alerts that start in different minutes stay
 * stable because the decision is never revisited; and the engine holds an aggregate at
 * 'pending' (for at most `fire_n` minutes) while a series inside it is pending, so a
 * total does not notify just before the specific alert that explains it fires.
 * A model-wide incident (a provider outage) is deliberately not folded into (*, model):
 * its per-feature alerts notify and `groupAlertEvents` sends them as one message that
 * lists the features hit.
 * If a coverer is itself covered, the cover points to the notifying root.
 */
export function specificity(s: SeriesId): number {
  return (s.feature === ALL ? 0 : 2) + (s.model === ALL ? 0 : 1);
}

/** T's cells are a strict subset of S's cells. */
export function strictlyInside(t: SeriesId, s: SeriesId): boolean {
  if (t.feature === s.feature && t.model === s.model) return false;
  return (s.feature === ALL || s.feature === t.feature) && (s.model === ALL || s.model === t.model);
}

export interface FiringAlert {
  key: string;
  series: SeriesId;
  coveredBy: string | null;
}

/** The key of the alert that covers a newly firing alert on `s` (same metric), or null if it notifies. */
export function findCover(s: SeriesId, firing: Iterable<FiringAlert>, groupMinFeatures = 3): string | null {
  let inside: FiringAlert | null = null;
  let sameFeature: FiringAlert | null = null;
  /** Per model: features with an uncovered firing leaf, and the smallest such key. */
  const byModel = new Map<string, { features: Set<string>; first: FiringAlert }>();
  const list = [...firing];
  for (const f of list) {
    if (f.series.feature === s.feature && f.series.model === s.model) continue;
    if (strictlyInside(f.series, s)) {
      if (!inside || f.key < inside.key) inside = f;
    } else if (s.feature !== ALL && f.series.feature === s.feature) {
      if (!sameFeature || f.key < sameFeature.key) sameFeature = f;
    }
    if (f.series.feature !== ALL && f.series.model !== ALL && !f.coveredBy && f.series.feature !== s.feature) {
      const m = byModel.get(f.series.model);
      if (!m) byModel.set(f.series.model, { features: new Set([f.series.feature]), first: f });
      else {
        m.features.add(f.series.feature);
        if (f.key < m.first.key) m.first = f;
      }
    }
  }
  let modelWide: FiringAlert | null = null;
  if (s.feature !== ALL) {
    for (const [model, m] of byModel) {
      if ((s.model === ALL || s.model === model) && m.features.size >= groupMinFeatures && (!modelWide || m.first.key < modelWide.key)) modelWide = m.first;
    }
  }
  const c = inside ?? sameFeature ?? modelWide;
  return c ? (c.coveredBy ?? c.key) : null;
}

/** Order in which alerts of one minute are decided: most specific first, then by key. */
export function coverOrder<T extends { series: SeriesId; key: string }>(a: T, b: T): number {
  return specificity(b.series) - specificity(a.series) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

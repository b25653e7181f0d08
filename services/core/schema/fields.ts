import { z } from 'zod';

/** Times the pipeline accepts (epoch ms): 2000-01-01 to 2100-01-01; outside, a unit mix-up is likelier than a real time. */
export const MIN_TS = Date.UTC(2000, 0, 1);
export const MAX_TS = Date.UTC(2100, 0, 1);

/** A required, non-empty string of at most `max` characters. */
export const requiredText = (max: number) => z.string({ error: 'expected a string' }).min(1, 'must not be empty').max(max, `longer than ${max} characters`);

/** What a span is in its trace; an event without span fields is one `llm` call. Metrics count `llm` and `embedding` spans. */
export const SPAN_KIND_VALUES = ['llm', 'embedding', 'agent', 'tool', 'retrieval', 'workflow', 'other'] as const;
/** The kinds that call a model: priced, and counted by the cost, token, latency and error metrics. */
export const MODEL_CALL_KINDS: ReadonlySet<string> = new Set(['llm', 'embedding']);

import { z } from 'zod';

/** Times the pipeline accepts (epoch ms): 2000-01-01 to 2100-01-01; outside, a unit mix-up is likelier than a real time. */
export const MIN_TS = Date.UTC(2000, 0, 1);
export const MAX_TS = Date.UTC(2100, 0, 1);

/** A required, non-empty string of at most `max` characters. */
export const requiredText = (max: number) => z.string({ error: 'expected a string' }).min(1, 'must not be empty').max(max, `longer than ${max} characters`);

import { z } from 'zod';
import { ALL } from '../types.ts';

/** Column values as the anomaly service's queries bind and read them. */

/** GROUPING SETS leave the rolled-up column empty; names are never empty, so '' means "all". */
export const dim = (v: unknown): string => (v === '' || v === null || v === undefined ? ALL : String(v));
/** A dimension column of a GROUPING SETS query: '' (or null) is the "all" level. */
export const dimColumn = z.string().nullish().transform(dim);

/** Epoch seconds, for DateTime columns and parameters. */
export const sec = (ms: number) => Math.floor(ms / 1000);

/** A numeric column; Int64/UInt64 (counts, epoch ms) arrive as numeric strings in JSON. */
export const num = z.coerce.number();

/** ClickHouse DateTime64 text (UTC, no zone) to epoch ms. */
export const clickhouseTimeMs = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);

/**
 * `npm run bench [-- --events N --rows N --query-rows N --skip a,b --profile]`: the
 * benchmark harness in scripts/bench/ (limit, embedded end to end, distributed,
 * freshness, queries, memory); see scripts/bench/main.ts.
 */
import './bench/main.ts';

import { readFileSync } from 'node:fs';
import { runDetect } from '../services/anomaly/detect-cli.ts';

/** `npm run detect -- --input series.csv [--direction up|down|both] [--interval 1m]` (see services/anomaly/detect-cli.ts). */
process.exitCode = runDetect(process.argv.slice(2), {
  readFile: (p) => readFileSync(p, 'utf8'),
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});

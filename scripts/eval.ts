import { runEvalCli } from '../services/evaluator/offline/cli.ts';

/**
 * `npm run eval -- --dataset rows.jsonl --rules evals.json [--baseline report.json] [--out report.json] [--concurrency N]`:
 * runs the eval rules over a dataset offline, prints a table per score name and writes a
 * JSON report; with --baseline, exits 1 on a significant regression (see
 * services/evaluator/offline/cli.ts and schemas/evals/README.md).
 */
process.exitCode = await runEvalCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
});

/**
 * `npm run bench:detectors -- --kpi ../shared/data/kpi`: quality on labelled real series
 * (scripts/detector-eval/kpi-main.ts); without `--kpi`: cost per point and memory of every
 * detector (scripts/detector-eval/cost.ts).
 */
if (process.argv.includes('--kpi')) {
  const { runKpiEval } = await import('./detector-eval/kpi-main.ts');
  runKpiEval();
} else {
  await import('./detector-eval/cost.ts');
}

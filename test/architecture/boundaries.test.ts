import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findViolations, importsOf, readTree, type Violation } from './boundaries.ts';

const REPO = join(import.meta.dirname, '../..');

/** A tiny tree: path → source. */
const tree = (files: Record<string, string>) => new Map(Object.entries(files));
const rules = (v: Violation[], only?: Violation['rule']) =>
  v
    .filter((x) => !only || x.rule === only)
    .map((x) => `${x.rule} ${x.file}`)
    .sort();

describe('the boundaries of services/', () => {
  it('hold on the repository as it is', () => {
    const violations = findViolations(readTree(REPO, ['services', 'scripts']));
    assert.deepEqual(violations.map((v) => `${v.file}: ${v.rule}: ${v.detail}`), []);
  });

  it('reads static, re-exported, side-effect and dynamic imports, relative ones only', () => {
    const src = [
      "import { a } from '../core/a.ts';",
      "import type { B } from './b.ts';",
      "export { c } from '../core/c.ts';",
      "import './side-effect.ts';",
      "const m = await import('../writer/main.ts');",
      "import fastify from 'fastify';",
    ].join('\n');
    assert.deepEqual(importsOf('services/query/x.ts', src), ['services/core/a.ts', 'services/query/b.ts', 'services/core/c.ts', 'services/query/side-effect.ts', 'services/writer/main.ts']);
  });

  it('fail when a service imports another service (the crossings the layout had)', () => {
    const v = findViolations(
      tree({
        'services/evaluator/service.ts': "import { createPricer } from '../enricher/pricing/pricer.ts';",
        'services/enricher/pricing/pricer.ts': 'export const createPricer = 1;',
        'services/enricher/redaction/redact-event.ts': "import { compileGlob } from '../../evaluator/rules/glob.ts';",
        'services/evaluator/rules/glob.ts': 'export const compileGlob = 1;',
        'services/query/alerts-routes.ts': "import { listSilences } from '../anomaly/silences.ts';",
        'services/anomaly/silences.ts': 'export const listSilences = 1;',
        'services/dlq-cli/dlq-store.ts': "import { toClickHouseTime } from '../writer/trace-row.ts';",
        'services/writer/trace-row.ts': "import { picoToDecimalString } from '../enricher/pricing/cost.ts';",
        'services/enricher/pricing/cost.ts': 'export const picoToDecimalString = 1;',
        'services/evaluator/main.ts': "import '../evaluator/rules/glob.ts'; import '../enricher/pricing/cost.ts';",
      }),
    );
    assert.deepEqual(rules(v, 'service-imports-service'), [
      'service-imports-service services/dlq-cli/dlq-store.ts',
      'service-imports-service services/enricher/redaction/redact-event.ts',
      'service-imports-service services/evaluator/main.ts',
      'service-imports-service services/evaluator/service.ts',
      'service-imports-service services/query/alerts-routes.ts',
      'service-imports-service services/writer/trace-row.ts',
    ]);
  });

  it('fail when core imports a service, or production code imports tests or scripts', () => {
    const v = findViolations(
      tree({
        'services/core/wiring.ts': "import { loadPriceTable } from '../enricher/pricing/price-table.ts';",
        'services/enricher/pricing/price-table.ts': "import { seeded } from '../../../scripts/lib/prng.ts';",
        'services/enricher/main.ts': "import '../core/wiring.ts'; import './pricing/price-table.ts';",
        'scripts/lib/prng.ts': 'export const seeded = 1;',
      }),
    );
    assert.deepEqual(rules(v).filter((r) => !r.startsWith('test-support')), ['core-imports-service services/core/wiring.ts', 'production-imports-tests services/enricher/pricing/price-table.ts']);
  });

  it('fail on test support under services/, whatever it is named', () => {
    const v = findViolations(
      tree({
        'services/query/test-support.ts': "import { x } from './app.ts';",
        'services/query/known-traces.ts': 'export const rows = [];',
        'services/query/app.ts': 'export const x = 1;',
        'services/query/main.ts': "import { x } from './app.ts';",
        'services/query/app.test.ts': "import './test-support.ts'; import './known-traces.ts'; import '../../test/helpers/temp-dir.ts';",
        'services/service-main.ts': "const q = () => import('./query/main.ts');",
      }),
    );
    assert.deepEqual(rules(v), ['test-support-under-services services/query/known-traces.ts', 'test-support-under-services services/query/test-support.ts']);
  });

  it('let the entries compose services and unit tests use test/ and scripts/lib/', () => {
    const v = findViolations(
      tree({
        'services/all-in-one/embedded-pipeline.ts': "import '../writer/factory.ts'; import '../enricher/factory.ts';",
        'services/all-in-one/main.ts': "import './embedded-pipeline.ts';",
        'services/writer/factory.ts': "import '../core/time.ts';",
        'services/enricher/factory.ts': "import '../core/time.ts';",
        'services/core/time.ts': 'export const MINUTE_MS = 60_000;',
        'services/writer/factory.test.ts': "import '../../test/support/query/test-store.ts'; import '../../scripts/lib/prng.ts';",
      }),
    );
    assert.deepEqual(v, []);
  });
});

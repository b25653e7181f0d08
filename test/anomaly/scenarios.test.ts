import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ALL } from '../../services/anomaly/types.ts';
import { formatSuite, groupsDuring, INCIDENTS, runSuite, type SuiteResult } from './scenario-suite.ts';

/**
 * Labelled scenarios for the learned detectors: 16 simulated days of 12 features ×
 * 3 models (see scenario-suite.ts and simulator.ts), seven incidents on separate days
 * after the first week, judged by the same engine the service runs with its defaults.
 * Prints the outcome table; asserts recall, precision and grouping.
 */
describe('anomaly scenarios (simulated week + incidents)', () => {
  let r: SuiteResult;
  before(() => {
    r = runSuite();
    console.log(`\n${formatSuite(r)}\n`);
  });

  for (const inc of INCIDENTS) {
    it(`detects "${inc.name}" within ${inc.detectWithin} min and resolves it`, () => {
      const o = r.outcomes.find((x) => x.incident === inc)!;
      assert.ok(o.timeToDetect !== null, 'not detected');
      assert.ok(o.timeToDetect <= inc.detectWithin, `detected after ${o.timeToDetect} min`);
      assert.ok(o.resolved, 'an alert of the incident did not resolve after it ended');
    });
  }

  it('has recall 1 and no notification outside the incident windows', () => {
    assert.equal(r.outcomes.filter((o) => o.detected).length, INCIDENTS.length);
    assert.deepEqual(
      r.falsePositives.map((e) => e.summary),
      [],
    );
    assert.equal(r.falsePositivesOnCleanDays, 0);
  });

  it('notifies each single-series incident once (the roll-ups it moves are covered)', () => {
    for (const o of r.outcomes.filter((x) => x.incident.feature !== ALL)) assert.equal(o.notifications, 1, o.incident.name);
  });

  it('sends the provider outage across many features as one group', () => {
    const outage = INCIDENTS.find((i) => i.feature === ALL)!;
    const groups = groupsDuring(r, outage);
    assert.equal(groups.length, 1, `groups: ${groups.map((g) => g.events.map((e) => `${e.key.feature}/${e.key.model}`).join(' ')).join(' | ')}`);
    assert.equal(groups[0].common.model, outage.model);
    assert.ok(new Set(groups[0].events.map((e) => e.key.feature)).size >= 3);
  });
});

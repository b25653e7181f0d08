import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialFiring, stepFiring, type FiringState, type Verdict } from './firing.ts';

const P = { k: 3, n: 5, resolveAfter: 4 };

function run(verdicts: Verdict[]): string[] {
  let s: FiringState = initialFiring;
  return verdicts.map((v) => {
    const r = stepFiring(P, s, v);
    s = r.state;
    return r.condition;
  });
}

const A: Verdict = 'anomalous';
const N: Verdict = 'normal';
const U: Verdict = 'unjudged';

describe('firing rule', () => {
  it('fires on k anomalous of the last n judged minutes, pending before', () => {
    assert.deepEqual(run([N, A, N, A, N, A]), ['ok', 'pending', 'pending', 'pending', 'pending', 'firing']);
  });

  it('does not fire on scattered single anomalies', () => {
    const c = run([A, N, N, N, N, N, A, N, N, N, N, N, A]);
    assert.ok(!c.includes('firing'));
    assert.equal(c[4], 'pending', 'the anomaly is still among the last 5');
    assert.equal(c[5], 'ok', 'the window forgets an old anomaly');
  });

  it('resolves only after resolveAfter consecutive clean minutes', () => {
    const c = run([A, A, A, N, N, A, N, N, N, N]);
    assert.deepEqual(c, ['pending', 'pending', 'firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'ok']);
  });

  it('unjudged minutes never fire and do not enter the window, but count as clean while firing', () => {
    assert.deepEqual(run([A, U, U, A, U, A]), ['pending', 'pending', 'pending', 'pending', 'pending', 'firing']);
    assert.deepEqual(run([A, A, A, U, U, U, U]).slice(-1), ['ok']);
  });

  it('an anomalous verdict marked atOnce fires alone; atOnce on a normal verdict does nothing', () => {
    assert.equal(stepFiring(P, initialFiring, A, true).condition, 'firing');
    assert.equal(stepFiring(P, initialFiring, N, true).condition, 'ok');
    assert.equal(stepFiring(P, initialFiring, A, false).condition, 'pending');
  });

  it('is pure: the input state is not modified', () => {
    const s = stepFiring(P, initialFiring, A).state;
    const copy = JSON.stringify(s);
    stepFiring(P, s, A);
    assert.equal(JSON.stringify(s), copy);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { coverOrder, findCover, specificity, strictlyInside, type FiringAlert } from './coverage.ts';

const f = (feature: string, model: string, coveredBy: string | null = null): FiringAlert => ({ key: `k|${feature}|${model}`, series: { feature, model }, coveredBy });

describe('coverage', () => {
  it('orders leaves first, then feature totals, model totals, everything', () => {
    const s = [f('*', '*'), f('*', 'm'), f('a', '*'), f('a', 'm')].map((x) => ({ series: x.series, key: x.key })).sort(coverOrder);
    assert.deepEqual(s.map((x) => `${x.series.feature}/${x.series.model}`), ['a/m', 'a/*', '*/m', '*/*']);
    assert.equal(specificity({ feature: 'a', model: 'm' }), 3);
  });

  it('inside is strict containment', () => {
    assert.ok(strictlyInside({ feature: 'a', model: 'm' }, { feature: 'a', model: '*' }));
    assert.ok(strictlyInside({ feature: 'a', model: 'm' }, { feature: '*', model: '*' }));
    assert.ok(!strictlyInside({ feature: 'a', model: '*' }, { feature: '*', model: 'm' }));
    assert.ok(!strictlyInside({ feature: 'a', model: 'm' }, { feature: 'a', model: 'm' }));
  });

  it('a total is covered by a firing series inside it; a leaf by a firing series of its feature', () => {
    assert.equal(findCover({ feature: 'a', model: '*' }, [f('a', 'm')]), 'k|a|m');
    assert.equal(findCover({ feature: '*', model: '*' }, [f('a', 'm')]), 'k|a|m');
    assert.equal(findCover({ feature: 'a', model: 'n' }, [f('a', 'm')]), 'k|a|m');
    assert.equal(findCover({ feature: 'a', model: 'm' }, [f('a', '*')]), 'k|a|*');
    assert.equal(findCover({ feature: 'b', model: 'm' }, [f('a', 'm')]), null, 'another feature notifies');
  });

  it('points to the notifying root', () => {
    assert.equal(findCover({ feature: '*', model: '*' }, [f('a', '*', 'k|a|m')]), 'k|a|m');
  });

  it('a model-wide incident on ≥ groupMinFeatures features absorbs later features of that model', () => {
    const firing = [f('a', 'm'), f('b', 'm'), f('c', 'm')];
    assert.equal(findCover({ feature: 'd', model: 'm' }, firing, 3), 'k|a|m');
    assert.equal(findCover({ feature: 'd', model: '*' }, firing, 3), 'k|a|m');
    assert.equal(findCover({ feature: 'd', model: 'n' }, firing, 3), null);
    assert.equal(findCover({ feature: 'd', model: 'm' }, firing.slice(0, 2), 3), null);
  });
});

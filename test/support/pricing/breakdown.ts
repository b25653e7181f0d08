import assert from 'node:assert/strict';
import type { CostBreakdown } from '../../../services/core/pricing/cost.ts';

/**
 * The five parts a call without audio, image or 1-hour cache tokens has, after checking
 * that those other parts are 0: lets a test written for text-only calls state only them.
 */
export function textParts(b: CostBreakdown): Pick<CostBreakdown, 'input' | 'cacheRead' | 'cacheWrite' | 'output' | 'reasoning'> {
  assert.deepEqual([b.cacheWrite1h, b.inputAudio, b.inputImage, b.outputAudio, b.outputImage], [0, 0, 0, 0, 0], 'no audio, image or 1-hour parts');
  return { input: b.input, cacheRead: b.cacheRead, cacheWrite: b.cacheWrite, output: b.output, reasoning: b.reasoning };
}

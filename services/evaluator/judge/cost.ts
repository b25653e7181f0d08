import type { Pricer } from '../../core/pricing/pricer.ts';
import type { ModelCall } from '../types.ts';

/**
 * A judge call's cost in USD with our own price table, or null when the model has no
 * price (never 0). `priceAs` prices a judge as another model (e.g. a self-hosted one).
 */
export function judgeCallCostUsd(pricer: Pricer, call: ModelCall, priceAs?: string): number | null {
  const r = pricer.price({
    model: priceAs ?? call.model,
    provider: priceAs ? undefined : (call.provider ?? undefined),
    timestampMs: call.started_at,
    input_tokens: call.input_tokens,
    cached_input_tokens: call.cached_input_tokens,
    cache_write_tokens: 0,
    output_tokens: call.output_tokens,
    reasoning_tokens: call.reasoning_tokens,
  });
  return r.status === 'priced' ? r.costPico / 1e12 : null;
}

/** Whether `model` can be priced at `now` (checked at start for rules with a budget). */
export function unpricedReason(pricer: Pricer, model: string, provider: string | undefined, now: number): string | null {
  const r = pricer.price({ model, provider, timestampMs: now, input_tokens: 1, cached_input_tokens: 0, cache_write_tokens: 0, output_tokens: 1, reasoning_tokens: 0 });
  return r.status === 'priced' ? null : r.reason;
}

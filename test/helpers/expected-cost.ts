import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An independent statement of the cost rule for tests (not the enricher's code): read
 * the model's current price from schemas/pricing/prices.json and bill each token subset
 * at its own price, in integer pico-USD.
 */
interface Price {
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
  reasoning?: number;
}

const table = JSON.parse(readFileSync(join(import.meta.dirname, '../../schemas/pricing/prices.json'), 'utf8')) as {
  models: Record<string, { prices: (Price & { effective_from: string })[] }>;
};

export function priceOf(model: string): Price {
  const m = table.models[model];
  if (!m) throw new Error(`test expects ${model} in the price table`);
  return m.prices[m.prices.length - 1];
}

export function expectedCostPico(
  model: string,
  t: { input_tokens: number; output_tokens: number; cached_input_tokens?: number; cache_write_tokens?: number; reasoning_tokens?: number },
): number {
  const p = priceOf(model);
  const cached = t.cached_input_tokens ?? 0;
  const write = t.cache_write_tokens ?? 0;
  const reasoning = t.reasoning_tokens ?? 0;
  const pico = (n: number, usd: number) => Math.round(n * usd * 1e12);
  return (
    pico(t.input_tokens - cached - write, p.input) +
    pico(cached, p.cache_read ?? p.input) +
    pico(write, p.cache_write ?? p.input) +
    pico(t.output_tokens - reasoning, p.output) +
    pico(reasoning, p.reasoning ?? p.output)
  );
}

/** Integer pico-USD → the decimal text ClickHouse prints for Decimal(38,12) sums, trailing zeros trimmed. */
export function picoToUsdText(pico: number | bigint): string {
  const s = String(pico).padStart(13, '0');
  const text = `${s.slice(0, -12)}.${s.slice(-12)}`.replace(/0+$/, '').replace(/\.$/, '');
  return text;
}

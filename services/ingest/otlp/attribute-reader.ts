import type { AttributeValue, Attributes } from './otlp-span.ts';

/**
 * Reads a span's attributes by the names the conventions give them, first name first,
 * remembering every key it consulted so that the rest can go to `metadata` and nothing
 * is dropped silently. A value of the wrong type reads as absent (and stays unconsumed).
 */
export class AttributeReader {
  readonly used = new Set<string>();
  constructor(
    readonly span: Attributes,
    readonly resource: Attributes,
  ) {}

  private lookup(names: readonly string[], from: Attributes, accept: (v: AttributeValue) => boolean): AttributeValue | undefined {
    for (const name of names) {
      const v = from[name];
      if (v === undefined || v === null || !accept(v)) continue;
      if (from === this.span) this.used.add(name);
      return v;
    }
    return undefined;
  }

  /** The first non-empty string among `names` (numbers and booleans are read as their text). */
  text(...names: string[]): string | undefined {
    const v = this.lookup(names, this.span, (x) => (typeof x === 'string' && x !== '') || typeof x === 'number' || typeof x === 'boolean');
    return v === undefined ? undefined : String(v);
  }

  /** The first whole non-negative number among `names` (a decimal string counts). */
  count(...names: string[]): number | undefined {
    const v = this.lookup(names, this.span, (x) => toCount(x) !== undefined);
    return v === undefined ? undefined : toCount(v);
  }

  /** The first finite number among `names`. */
  number(...names: string[]): number | undefined {
    const v = this.lookup(names, this.span, (x) => toNumber(x) !== undefined);
    return v === undefined ? undefined : toNumber(v);
  }

  /** The first present value among `names`, whatever its type. */
  any(...names: string[]): AttributeValue | undefined {
    return this.lookup(names, this.span, () => true);
  }

  /** Marks keys as read without reading them (attributes whose meaning the mapping covers otherwise). */
  consume(...names: string[]): void {
    for (const n of names) if (n in this.span) this.used.add(n);
  }

  /** Indexed keys under `prefix` (`gen_ai.prompt.0.content`: a number after the prefix), consumed. */
  indexedUnder(prefix: string): [string, AttributeValue][] {
    const out: [string, AttributeValue][] = [];
    for (const [k, v] of Object.entries(this.span)) {
      if (k.startsWith(prefix) && /^\d+\./.test(k.slice(prefix.length))) {
        this.used.add(k);
        out.push([k, v]);
      }
    }
    return out;
  }

  /** The first non-empty string among `names` on the resource (resource keys never go to metadata). */
  resourceText(...names: string[]): string | undefined {
    const v = this.lookup(names, this.resource, (x) => typeof x === 'string' && x !== '');
    return v === undefined ? undefined : String(v);
  }

  /** Span attributes no rule read. */
  unread(): [string, AttributeValue][] {
    return Object.entries(this.span).filter(([k]) => !this.used.has(k));
  }
}

function toCount(v: AttributeValue): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function toNumber(v: AttributeValue): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A value as text for `metadata`, input or output: strings as they are, the rest as JSON. */
export function asText(v: AttributeValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

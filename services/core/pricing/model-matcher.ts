/**
 * Resolves an event's `model` (and optional `provider`) to a price-table key.
 *
 * Order (the first hit wins):
 *  1. exact      `<provider>/<model>` (when the event names a provider whose prefix the
 *                table uses, e.g. azure/gpt-4o), then `<model>` itself.
 *  2. case       the same two, case-insensitively.
 *  3. alias      user aliases (overrides file or createPricer option), exact then case-insensitive.
 *  4. pattern    normalised variants of the name, each tried as `<provider>/<variant>`,
 *                then `<variant>`, then `<family provider>/<variant>`:
 *     - OpenAI fine-tunes `ft:<base>:<org>::<id>` → `ft:<base>` (fine-tune prices; never the base model's);
 *     - route prefixes stripped: `openai/gpt-4o`, `anthropic/…`, `vertex_ai/…`, `azure/…`,
 *       `bedrock/…` (also `bedrock/converse/`, `bedrock/invoke/`, `bedrock/<aws-region>/`),
 *       `gemini/…`, `models/…`, Bedrock ARNs; the stripped prefix becomes a provider hint;
 *     - Bedrock ids `[region.]vendor.name[-vN[:M]]`: without the region prefix (us., eu.,
 *       apac., global., us-gov., …), without/with a `-v1:0`/`-v2:0`/`-v1` suffix, then the
 *       bare vendor name (`anthropic.claude-x-v1:0` → `claude-x`);
 *     - Vertex `name@version`: `vertex_ai/name@version`, `name-YYYYMMDD`, `name`; Vertex's
 *       `name-vN@YYYYMMDD` (`claude-3-5-sonnet-v2@20241022`) also as `name-YYYYMMDD`;
 *       resource paths `[projects/…/locations/…/]publishers/<p>/models/<name>` → `<name>`;
 *     - Claude with dotted versions: `claude-3.5-sonnet` → `claude-3-5-sonnet`;
 *     - dated versions: `-YYYYMMDD` / `-YYYY-MM-DD` stripped (`gpt-4o-2024-08-06` → `gpt-4o`
 *       only reached when the dated key is absent); `-latest` stripped;
 *     - family provider inferred from the name (`mistral-large-latest` → `mistral/…`,
 *       `grok-…` → `xai/…`, `deepseek-…` → `deepseek/…`), since LiteLLM keys many
 *       providers as `<provider>/<model>`;
 *     - last resort: an undated or `-latest` name → the newest dated key of that name
 *       (`claude-3-7-sonnet-latest` → `claude-3-7-sonnet-20250219`).
 * Results (hits and misses) are memoised per (provider, model); the memo is cleared when it
 * reaches `memoLimit` entries so unbounded model-name cardinality cannot grow memory.
 */

export type MatchHow = 'exact' | 'case' | 'alias' | 'pattern';

export interface ModelMatch {
  readonly key: string;
  readonly how: MatchHow;
}

export interface ModelMatcher {
  resolve(model: string, provider?: string | null): ModelMatch | null;
  /** Number of memoised (provider, model) pairs. */
  readonly memoSize: number;
}

export interface ModelMatcherOptions {
  aliases?: Readonly<Record<string, string>>;
  memoLimit?: number;
}

/** Event / OpenTelemetry `gen_ai.system` provider names → LiteLLM key prefixes. */
const PROVIDER_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  openai: ['openai'],
  azure: ['azure'],
  azure_openai: ['azure'],
  'azure.ai.openai': ['azure'],
  'az.ai.openai': ['azure'],
  azure_ai: ['azure_ai'],
  'azure.ai.inference': ['azure_ai'],
  'az.ai.inference': ['azure_ai'],
  anthropic: ['anthropic'],
  bedrock: ['bedrock'],
  'aws.bedrock': ['bedrock'],
  aws: ['bedrock'],
  aws_bedrock: ['bedrock'],
  amazon_bedrock: ['bedrock'],
  bedrock_converse: ['bedrock'],
  gemini: ['gemini'],
  google: ['gemini'],
  google_ai_studio: ['gemini'],
  google_genai: ['gemini'],
  'gcp.gemini': ['gemini'],
  vertex_ai: ['vertex_ai'],
  vertex: ['vertex_ai'],
  vertexai: ['vertex_ai'],
  google_vertex: ['vertex_ai'],
  'gcp.vertex_ai': ['vertex_ai'],
  'gcp.gen_ai': ['vertex_ai', 'gemini'],
  mistral: ['mistral'],
  mistral_ai: ['mistral'],
  mistralai: ['mistral'],
  together: ['together_ai'],
  fireworks: ['fireworks_ai'],
  'x.ai': ['xai'],
  cohere: ['cohere', 'cohere_chat'],
  'ibm.watsonx.ai': ['watsonx'],
};

/** First-party provider prefix by model family, for names that carry no provider. */
const FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^(?:gpt-|o[1-9](?:-|$)|chatgpt-|text-embedding-|dall-e|whisper|tts-|codex-)/, 'openai'],
  [/^claude-/, 'anthropic'],
  [/^(?:gemini-|gemma-|learnlm-|imagen-|veo-)/, 'gemini'],
  [/^(?:mistral-|codestral-|pixtral-|ministral-|magistral-|devstral-|open-mistral-|open-mixtral-|voxtral-)/, 'mistral'],
  [/^grok-/, 'xai'],
  [/^deepseek-/, 'deepseek'],
  [/^(?:command-|command$|c4ai-)/, 'cohere'],
  [/^sonar/, 'perplexity'],
  [/^(?:kimi-|moonshot-)/, 'moonshot'],
  [/^qwen/, 'dashscope'],
  [/^glm-/, 'zai'],
  [/^minimax-/, 'minimax'],
  [/^jamba/, 'ai21'],
];

/** Route segments that are not providers but may precede a model id. */
const ROUTE_SEGMENTS: ReadonlySet<string> = new Set(['converse', 'invoke', 'models', 'model']);
const AWS_REGION = /^[a-z]{2}(?:-gov)?-[a-z]+-\d$/;
const BEDROCK_ARN = /^arn:aws[a-z-]*:bedrock:[^:]*:[^:]*:[a-z-]+\//;
const VERTEX_RESOURCE = /^(?:projects\/[^/]+\/locations\/[^/]+\/)?publishers\/[^/]+\/models\//;
const VERTEX_MODEL_VERSION = /-v\d+$/;
const BEDROCK_ID =
  /^(?:([a-z]{2,6}(?:-gov)?)\.)?(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|writer|twelvelabs|qwen|openai|moonshotai|moonshot|minimax|google|nvidia|stability|zai|xai)\.(.+)$/;
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/;
const BEDROCK_SUFFIXES = ['-v1:0', '-v2:0', '-v1'] as const;
const FINE_TUNE = /^(ft:[^:]+):/;
const VERTEX_DATE = /^\d{8}$/;
const CLAUDE_DOTTED = /^claude-.*\d\.\d/;
const DIGIT_DOT_DIGIT = /(\d)\.(\d)/g;
const DATE_SUFFIX = /-(?:\d{8}|\d{4}-\d{2}-\d{2})$/;
const DATED_KEY = /^(.*)-(\d{8}|\d{4}-\d{2}-\d{2})$/;
const LATEST_SUFFIX = /-latest$/;

const DEFAULT_MEMO_LIMIT = 100_000;

export function createModelMatcher(keys: Iterable<string>, opts: ModelMatcherOptions = {}): ModelMatcher {
  const sorted = [...keys].sort();
  const keySet: ReadonlySet<string> = new Set(sorted);
  const lower = new Map<string, string>();
  const prefixes = new Set<string>();
  const newestDated = new Map<string, { key: string; date: string }>();
  for (const key of sorted) {
    const l = key.toLowerCase();
    if (!lower.has(l)) lower.set(l, key); // collisions: first in sorted order wins
    const slash = l.indexOf('/');
    if (slash > 0) prefixes.add(l.slice(0, slash));
    const d = DATED_KEY.exec(l);
    if (d !== null) {
      const date = d[2].replace(/-/g, '');
      const prev = newestDated.get(d[1]);
      if (prev === undefined || date > prev.date) newestDated.set(d[1], { key, date });
    }
  }
  const aliases = new Map<string, string>();
  const aliasesLower = new Map<string, string>();
  for (const [alias, target] of Object.entries(opts.aliases ?? {})) {
    aliases.set(alias, target);
    const l = alias.toLowerCase();
    if (!aliasesLower.has(l)) aliasesLower.set(l, target);
  }
  const memoLimit = opts.memoLimit ?? DEFAULT_MEMO_LIMIT;
  const memo = new Map<string, Map<string, ModelMatch | null>>();
  let memoSize = 0;

  function providerPrefixes(provider: string): string[] {
    if (provider === '') return [];
    const p = provider.trim().toLowerCase();
    const out: string[] = [];
    for (const s of PROVIDER_SYNONYMS[p] ?? []) if (!out.includes(s)) out.push(s);
    for (const c of [p, p.replace(/-/g, '_')]) if (prefixes.has(c) && !out.includes(c)) out.push(c);
    return out;
  }

  function lookup(candidate: string): string | undefined {
    return keySet.has(candidate) ? candidate : lower.get(candidate.toLowerCase());
  }

  /** Name variants for pattern matching, most specific first (all lower-case). */
  function variants(name: string, hints: string[]): string[] {
    const out: string[] = [];
    const push = (v: string): void => {
      if (v !== '' && !out.includes(v)) out.push(v);
    };
    let n = name.replace(BEDROCK_ARN, '');
    if (VERTEX_RESOURCE.test(n)) {
      n = n.replace(VERTEX_RESOURCE, '');
      if (!hints.includes('vertex_ai')) hints.push('vertex_ai');
    }
    push(n);
    // OpenAI fine-tunes ft:<base>:<org>:<suffix>:<id> are priced as ft:<base>
    const ft = FINE_TUNE.exec(n);
    if (ft !== null) {
      push(ft[1]);
      return out;
    }
    // Route prefixes: provider/..., bedrock/converse/..., bedrock/us-east-1/..., models/...
    for (;;) {
      const slash = n.indexOf('/');
      if (slash <= 0) break;
      const seg = n.slice(0, slash);
      const isProvider = prefixes.has(seg) || PROVIDER_SYNONYMS[seg] !== undefined;
      if (!isProvider && !ROUTE_SEGMENTS.has(seg) && !AWS_REGION.test(seg)) break;
      if (isProvider) for (const h of providerPrefixes(seg)) if (!hints.includes(h)) hints.push(h);
      n = n.slice(slash + 1);
      push(n);
    }
    // Bedrock ids: [region.]vendor.name[-vN[:M]]
    const b = BEDROCK_ID.exec(n);
    if (b !== null) {
      const region = b[1] === undefined ? '' : `${b[1]}.`;
      const vendor = b[2];
      const core = b[3].replace(BEDROCK_VERSION, '');
      for (const r of region === '' ? [''] : [region, '']) {
        push(`${r}${vendor}.${b[3]}`);
        push(`${r}${vendor}.${core}`);
        for (const s of BEDROCK_SUFFIXES) push(`${r}${vendor}.${core}${s}`);
      }
      if (!hints.includes('bedrock')) hints.push('bedrock');
      n = core;
      push(n);
    }
    // Vertex name@version
    const at = n.indexOf('@');
    if (at > 0) {
      const base = n.slice(0, at);
      const ver = n.slice(at + 1);
      push(`vertex_ai/${n}`);
      if (VERTEX_DATE.test(ver)) {
        push(`${base}-${ver}`);
        if (VERTEX_MODEL_VERSION.test(base)) push(`${base.replace(VERTEX_MODEL_VERSION, '')}-${ver}`);
      }
      n = base;
      push(n);
    }
    // Claude with dotted versions
    if (CLAUDE_DOTTED.test(n)) {
      n = n.replace(DIGIT_DOT_DIGIT, '$1-$2');
      push(n);
    }
    // Dated versions and -latest
    push(n.replace(DATE_SUFFIX, ''));
    push(n.replace(LATEST_SUFFIX, ''));
    return out;
  }

  function compute(model: string, provider: string): ModelMatch | null {
    const name = model.trim();
    if (name === '') return null;
    const hints = providerPrefixes(provider);
    // 1. exact
    for (const h of hints) {
      const k = `${h}/${name}`;
      if (keySet.has(k)) return { key: k, how: 'exact' };
    }
    if (keySet.has(name)) return { key: name, how: 'exact' };
    // 2. case-insensitive
    const lname = name.toLowerCase();
    for (const h of hints) {
      const k = lower.get(`${h}/${lname}`);
      if (k !== undefined) return { key: k, how: 'case' };
    }
    const ci = lower.get(lname);
    if (ci !== undefined) return { key: ci, how: 'case' };
    // 3. aliases
    const target = aliases.get(name) ?? aliasesLower.get(lname);
    if (target !== undefined) {
      const k = lookup(target);
      if (k !== undefined) return { key: k, how: 'alias' };
    }
    // 4. patterns
    const candidates: string[] = [];
    for (const v of variants(lname, hints)) {
      for (const h of hints) candidates.push(`${h}/${v}`);
      candidates.push(v);
      for (const [re, fam] of FAMILIES) {
        if (re.test(v)) {
          if (!hints.includes(fam)) candidates.push(`${fam}/${v}`);
          break;
        }
      }
    }
    for (const c of candidates) {
      const k = lookup(c);
      if (k !== undefined) return { key: k, how: 'pattern' };
    }
    // last resort: undated / -latest name → newest dated key of that name
    for (const c of candidates) {
      if (DATE_SUFFIX.test(c)) continue;
      const d = newestDated.get(c.replace(LATEST_SUFFIX, ''));
      if (d !== undefined) return { key: d.key, how: 'pattern' };
    }
    return null;
  }

  return {
    resolve(model: string, provider?: string | null): ModelMatch | null {
      if (typeof model !== 'string') return null;
      const p = typeof provider === 'string' ? provider : '';
      let byModel = memo.get(p);
      if (byModel !== undefined) {
        const hit = byModel.get(model);
        if (hit !== undefined) return hit;
      }
      const result = compute(model, p);
      const frozen = result === null ? null : Object.freeze(result);
      if (memoSize >= memoLimit) {
        memo.clear();
        memoSize = 0;
        byModel = undefined;
      }
      if (byModel === undefined) {
        byModel = new Map();
        memo.set(p, byModel);
      }
      byModel.set(model, frozen);
      memoSize++;
      return frozen;
    },
    get memoSize() {
      return memoSize;
    },
  };
}

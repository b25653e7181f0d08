/**
 * API keys: who may call the HTTP API, and with which scopes.
 *
 * Only the sha256 digest of a key is ever stored (API_KEYS_FILE / API_KEYS); the key
 * itself is shown once by `npm run apikey -- create` and then lives only with its owner.
 *
 * Why sha256 and not bcrypt/scrypt/argon2: those slow hashes exist to protect
 * low-entropy secrets (passwords) from offline guessing. Our keys are 32 random bytes
 * (256 bits) from the CSPRNG: nobody can guess one from its digest, however fast the
 * hash. A fast hash also lets us look a key up by its digest in O(1) on every request
 * (a slow hash would cost ~50-100 ms of CPU per request and force a linear scan over
 * salted hashes). This argument holds only for generated keys: never register a
 * human-chosen string as an API key.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { ErrorCodes, PipelineError } from '../errors.ts';

export const SCOPES = ['ingest', 'query', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** One stored key: a name (for logs, errors and rate limits), its scopes, the sha256 of the key. */
export interface ApiKeyRecord {
  name: string;
  scopes: Scope[];
  /** Lowercase hex sha256 of the key's UTF-8 bytes. */
  sha256: string;
}

/** Who a request authenticated as. Never carries the key. */
export interface ApiKeyIdentity {
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/** Generated keys start with this, so a leaked one is recognisable (e.g. by secret scanners). */
export const API_KEY_PREFIX = 'lpk_';

/** A fresh key: the prefix and 32 random bytes, base64url (no padding). */
export function generateApiKey(): string {
  return API_KEY_PREFIX + crypto.randomBytes(32).toString('base64url');
}

/** The digest stored for a key: lowercase hex sha256 of its UTF-8 bytes. */
export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** `admin` implies every scope. */
export function hasScope(identity: ApiKeyIdentity, scope: Scope): boolean {
  return identity.scopes.includes('admin') || identity.scopes.includes(scope);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SHA256_RE = /^[0-9a-fA-F]{64}$/;

const recordSchema = z
  .object({
    name: z.string().regex(NAME_RE, 'name: 1-64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)'),
    scopes: z.array(z.enum(SCOPES, { error: `scopes: each one of ${SCOPES.join(', ')}` })).min(1, 'scopes: at least one'),
    sha256: z
      .string({ error: 'sha256: the hex sha256 of the key is required' })
      .regex(SHA256_RE, 'sha256: must be the 64-hex-character sha256 of the key, never the key itself (npm run apikey -- hash)')
      .transform((s) => s.toLowerCase()),
  })
  .strict();

/**
 * The in-memory key table, indexed by digest.
 *
 * Timing: a request's key is hashed first and looked up by its digest, so how long the
 * look-up takes depends on the digest, not on how many leading characters of some stored
 * key the caller guessed right (sha256 scatters them). The match is then confirmed with
 * crypto.timingSafeEqual on the two 32-byte digests, and a miss runs the same comparison
 * against a dummy digest, so hits and misses do the same work.
 */
export class ApiKeyStore {
  readonly #byDigest = new Map<string, { digest: Buffer; identity: ApiKeyIdentity }>();
  static readonly #DUMMY = Buffer.alloc(32);

  constructor(records: readonly ApiKeyRecord[] = []) {
    const names = new Set<string>();
    for (const r of records) {
      if (names.has(r.name)) throw invalid(`API key name "${r.name}" is used twice`);
      if (this.#byDigest.has(r.sha256)) throw invalid(`API keys "${r.name}" and "${this.#nameOf(r.sha256)}" have the same sha256 (the same key registered twice)`);
      names.add(r.name);
      const identity: ApiKeyIdentity = Object.freeze({ name: r.name, scopes: Object.freeze([...new Set(r.scopes)]) });
      this.#byDigest.set(r.sha256, { digest: Buffer.from(r.sha256, 'hex'), identity });
    }
  }

  /** How many keys are registered; 0 means authentication is off. */
  get size(): number {
    return this.#byDigest.size;
  }

  get names(): string[] {
    return [...this.#byDigest.values()].map((e) => e.identity.name);
  }

  /** The identity of a presented key, or null when it is not registered. Never throws. */
  authenticate(presented: string): ApiKeyIdentity | null {
    const digest = crypto.createHash('sha256').update(presented, 'utf8').digest();
    const entry = this.#byDigest.get(digest.toString('hex'));
    const equal = crypto.timingSafeEqual(digest, entry ? entry.digest : ApiKeyStore.#DUMMY);
    return entry && equal ? entry.identity : null;
  }

  #nameOf(sha256: string): string | undefined {
    return this.#byDigest.get(sha256)?.identity.name;
  }
}

/**
 * API_KEYS_FILE: a JSON array of `{ "name": "app-1", "scopes": ["ingest"], "sha256": "<hex>" }`.
 * Every problem is reported at once, each naming the entry; a plaintext `key` field is refused.
 */
export function parseApiKeyFile(text: string, source: string): ApiKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalid(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(json)) throw invalid(`${source}: expected a JSON array of { "name", "scopes", "sha256" } objects`);
  const problems: string[] = [];
  const records: ApiKeyRecord[] = [];
  json.forEach((entry: unknown, i) => {
    const label = `${source}[${i}]${isObject(entry) && typeof entry.name === 'string' ? ` (${entry.name})` : ''}`;
    if (isObject(entry) && ('key' in entry || 'api_key' in entry || 'apiKey' in entry)) {
      problems.push(`${label}: holds a plaintext key; store only its sha256 (npm run apikey -- hash) and delete the key from the file`);
      return;
    }
    const r = recordSchema.safeParse(entry);
    if (r.success) records.push(r.data);
    else problems.push(...r.error.issues.map((issue) => `${label}: ${issue.message}`));
  });
  if (problems.length > 0) throw invalid(`invalid API keys:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return records;
}

/**
 * API_KEYS: the same records inline, for deployments where a file is awkward:
 * `name:scope+scope:sha256hex` separated by commas. Hashed only, like the file.
 */
export function parseApiKeysEnv(value: string, source = 'API_KEYS'): ApiKeyRecord[] {
  const problems: string[] = [];
  const records: ApiKeyRecord[] = [];
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((item, i) => {
      const parts = item.split(':');
      const label = `${source} entry ${i + 1}${parts.length > 0 && NAME_RE.test(parts[0]) ? ` (${parts[0]})` : ''}`;
      if (parts.length !== 3) {
        problems.push(`${label}: expected name:scope+scope:sha256hex`);
        return;
      }
      const [name, scopes, sha256] = parts;
      const r = recordSchema.safeParse({ name, scopes: scopes.split('+').filter(Boolean), sha256 });
      if (r.success) records.push(r.data);
      else problems.push(...r.error.issues.map((issue) => `${label}: ${issue.message}`));
    });
  if (problems.length > 0) throw invalid(`invalid API keys:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return records;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string): PipelineError {
  return new PipelineError(ErrorCodes.CONFIG_INVALID, message);
}

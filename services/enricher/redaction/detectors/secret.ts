import { regexDetector, whole, type Detector } from './detector.ts';
import { looksLikeRandomKey } from './high-entropy.ts';

/**
 * API-key-like secrets. Four rules, run in this order (each sees the previous ones'
 * placeholders, which no rule matches, so nothing is counted twice):
 *
 * 1. Vendor formats, exact shapes with a documented prefix:
 *    `sk-…` / `sk-ant-…` / `sk-proj-…` (≥ 20 more characters with a letter and a digit),
 *    `AKIA`/`ASIA` + 16 upper-case alphanumerics (AWS access key ids),
 *    `ghp_ gho_ ghu_ ghs_ ghr_` + ≥ 36 alphanumerics and `github_pat_…` (GitHub),
 *    `xoxb- xoxa- xoxp- xoxr- xoxs-` + ≥ 10 (Slack), and JWTs (`eyJ….eyJ….…`).
 * 2. HTTP credentials: the token after `Bearer ` (≥ 16 characters with a letter and a
 *    digit) and the base64 after `Basic ` when it decodes to `user:password`. The scheme
 *    word is kept: `Authorization: Bearer [REDACTED:secret]`.
 * 3. Key assignments: the value after `api_key`, `api-token`, `access_token`,
 *    `client_secret`, `secret`, `password`, `private_key`, … (any case, optional
 *    prefix/suffix such as `OPENAI_API_KEY`, then `:` or `=`, optional quotes) when it is
 *    ≥ 8 characters with a letter and a digit. Catches hex secrets the next rule skips.
 *    Env references (`process.env.API_KEY`, `${TOKEN}`) and short or digit-only values stay.
 * 4. Generic: a base64/base64url run of ≥ 32 characters judged random by
 *    `looksLikeRandomKey` (mixed case + digits, high entropy, not words, not a path).
 *
 * Linear: every pattern starts with a left-boundary lookbehind or a fixed literal and
 * has no nested variable-length quantifiers.
 */
const B = String.raw`(?<![A-Za-z0-9_\-])`;
const E = String.raw`(?![A-Za-z0-9_\-])`;
const VENDOR = new RegExp(
  String.raw`${B}(?:(?<sk>sk-[A-Za-z0-9_\-]{20,})|(?:AKIA|ASIA)[0-9A-Z]{16}${E}|gh[pousr]_[A-Za-z0-9]{36,}${E}|github_pat_[A-Za-z0-9_]{22,}|xox[baprs]-[A-Za-z0-9\-]{10,}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})`,
  'gu',
);
const HTTP_AUTH = new RegExp(String.raw`(?<![A-Za-z0-9_])(?<scheme>(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \t]{1,8})(?<token>[A-Za-z0-9\-._~+/]{8,}=*)`, 'gu');
const KEYWORD = String.raw`api[_\-]?key|api[_\-]?token|access[_\-]?key|access[_\-]?token|auth[_\-]?token|refresh[_\-]?token|session[_\-]?token|client[_\-]?secret|secret|password|passwd|private[_\-]?key`;
const ASSIGNMENT = new RegExp(
  String.raw`(?<key>(?:${KEYWORD})[A-Za-z0-9_\-]{0,30}["']?[ \t]{0,3}[:=][ \t]{0,3}["']?)(?<value>[^\s"'\x60,;()<>\[\]{}]{8,})`,
  'giu',
);
const BASE64_RUN = new RegExp(String.raw`(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{32,}={0,2}(?![A-Za-z0-9+/_\-=])`, 'gu');

const hasLetterAndDigit = (s: string) => /[A-Za-z]/.test(s) && /\d/.test(s);

const vendor = regexDetector('secret', VENDOR, (match, groups) => {
  if (groups.sk !== undefined && !hasLetterAndDigit(match.slice(3))) return null;
  return whole(match);
});

const httpAuth = regexDetector('secret', HTTP_AUTH, (match, groups) => {
  const scheme = groups.scheme ?? '';
  const token = groups.token ?? '';
  const ok = /^basic/i.test(scheme) ? isBasicCredential(token) : token.length >= 16 && hasLetterAndDigit(token);
  return ok ? { start: scheme.length, end: match.length } : null;
});

const assignment = regexDetector('secret', ASSIGNMENT, (match, groups) => {
  const key = groups.key ?? '';
  const value = groups.value ?? '';
  if (!hasLetterAndDigit(value) || /^(?:\$|process\.env\.|os\.environ|env\.)/i.test(value)) return null;
  return { start: key.length, end: match.length };
});

const generic = regexDetector('secret', BASE64_RUN, (match) => (looksLikeRandomKey(match) ? whole(match) : null));

function isBasicCredential(token: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(token) || token.length % 4 !== 0) return false;
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  return /^[^\s:]+:\S+$/u.test(decoded);
}

const RULES = [vendor, httpAuth, assignment, generic];

export const secretDetector: Detector = {
  kind: 'secret',
  redact(text) {
    let count = 0;
    let out = text;
    for (const rule of RULES) {
      const r = rule.redact(out);
      out = r.text;
      count += r.count;
    }
    return { text: out, count };
  },
};

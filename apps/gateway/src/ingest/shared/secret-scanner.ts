import { childPath } from './json-path';
import { memoizeByString } from './memo';

/**
 * Finds secret-like content in a JSON body: keys that name a credential (password, secret, token,
 * api_key, authorization, cookie, private key) holding a value, and values that look like one
 * wherever they are (Stripe secret keys, `Bearer …`, JWTs, AWS access keys, PEM blocks, Revstream's
 * own tokens). Pure; returns one problem per finding, named by path, in document order.
 */

/** Key words that name a credential. A key is split into words (camelCase, snake_case, kebab-case). */
const SECRET_WORDS = new Set(['password', 'passwd', 'passphrase', 'secret', 'secrets', 'authorization', 'cookie', 'cookies', 'apikey', 'privatekey']);
/** The last word `token` (accessToken, refresh_token, csrf-token); `inputTokens` is a metric, not a credential. */
const TOKEN_WORD = 'token';

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Whether a key names a credential. */
export const isSecretKey = memoizeByString(classifyKey);

function classifyKey(key: string): boolean {
  const w = words(key);
  if (w.length === 0) return false;
  if (w[w.length - 1] === TOKEN_WORD) return true;
  for (let i = 0; i < w.length; i++) {
    if (SECRET_WORDS.has(w[i]!)) return true;
    const pair = i + 1 < w.length ? w[i]! + w[i + 1]! : '';
    if (pair === 'apikey' || pair === 'privatekey' || pair === 'accesskey' || pair === 'secretkey') return true;
  }
  return false;
}

const VALUE_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{8,}/, 'a Stripe secret key'],
  [/\bwhsec_[0-9A-Za-z]{16,}/, 'a webhook signing secret'],
  [/\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*/i, 'a bearer credential'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/, 'a JWT'],
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/, 'an AWS access key'],
  [/-----BEGIN [A-Z0-9 ]*-----/, 'a PEM block'],
  [/\b(?:rsi|rsr|sec)_[0-9A-Za-z]{40}\b/, 'a Revstream token'],
  [/\bgh[pousr]_[0-9A-Za-z]{36,}/, 'a GitHub token'],
  [/\bxox[abposr]-[0-9A-Za-z-]{10,}/, 'a Slack token'],
];
/** One pass over each string: only strings this matches are looked at closely. */
const ANY_VALUE_PATTERN = new RegExp(VALUE_PATTERNS.map(([re]) => `(?:${re.source})`).join('|'), 'i');

/** What a string value looks like, when it looks like a credential; null otherwise. */
export function secretKindOf(value: string): string | null {
  if (value.length < 12 || !ANY_VALUE_PATTERN.test(value)) return null;
  for (const [re, kind] of VALUE_PATTERNS) if (re.test(value)) return kind;
  return null;
}

const credentialValue = (value: unknown): boolean =>
  (typeof value === 'string' && value.length > 0) || typeof value === 'number';

/**
 * Problems (`path: ...`) for every secret-like key or value under `value`. `skipTopLevel` names
 * top-level keys that legitimately carry a credential and are never stored (Pulsora's `token`).
 */
export function findSecrets(value: unknown, root = '', skipTopLevel: readonly string[] = []): string[] {
  const problems: string[] = [];
  const walk = (node: unknown, path: string, top: boolean): void => {
    if (typeof node === 'string') {
      const kind = secretKindOf(node);
      if (kind !== null) problems.push(`${path || 'body'}: looks like ${kind}; do not send credentials`);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) walk(node[i], childPath(path, i), false);
      return;
    }
    for (const key of Object.keys(node)) {
      if (top && skipTopLevel.includes(key)) continue;
      const child = (node as Record<string, unknown>)[key];
      const p = childPath(path, key);
      if (isSecretKey(key) && credentialValue(child)) {
        problems.push(`${p}: secret-like field (${key}); do not send credentials`);
        continue;
      }
      const keyKind = secretKindOf(key);
      if (keyKind !== null) {
        problems.push(`${p}: key looks like ${keyKind}; do not send credentials`);
        continue;
      }
      walk(child, p, false);
    }
  };
  walk(value, root, true);
  return problems;
}

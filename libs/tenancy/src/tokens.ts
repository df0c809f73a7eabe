import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * A tenant's tokens. Each is shown once, when it is created, and stored only as its SHA-256 hash.
 *  - ingest: the Revenue Linter, Revnu, Valued and Revenium endpoints;
 *  - public / secret: Pulsora's `pub_…` and `sec_…` tokens;
 *  - read: the query API.
 */
export type TokenKind = 'ingest' | 'public' | 'secret' | 'read';
export const TOKEN_KINDS: readonly TokenKind[] = ['ingest', 'public', 'secret', 'read'];

const PREFIX: Readonly<Record<TokenKind, string>> = { ingest: 'rsi_', public: 'pub_', secret: 'sec_', read: 'rsr_' };

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62]; // 248 = 4*62: no modulo bias
    }
  }
  return out;
}

/** A new token of a kind: its prefix and 40 base62 characters (238 bits). */
export function generateToken(kind: TokenKind): string {
  return `${PREFIX[kind]}${randomBase62(40)}`;
}

/** What is stored: tokens are high-entropy, so a plain SHA-256 is the right hash (no salt, no stretching). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function newTenantId(): string {
  return `tn_${randomBase62(20)}`;
}

export function newEmailSalt(): string {
  return randomBytes(32).toString('hex');
}

/** Emails are hashed before anything is written (Kafka included), salted per tenant. */
export const EMAIL_HASH_PREFIX = 'emailhash:v1:';

export function hashEmail(salt: string, email: string): string {
  return `${EMAIL_HASH_PREFIX}${createHmac('sha256', salt).update(email.trim().toLowerCase(), 'utf8').digest('hex')}`;
}

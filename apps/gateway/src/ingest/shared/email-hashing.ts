import { memoizeByString } from './memo';

/**
 * Emails never reach Kafka in plain text. Pure: given a hash function (the tenant's salted
 * `hashEmail`), replaces in place
 *  - the string value of any email-like key (email, customer_email, buyerEmail, emailAddress) with its hash;
 *  - any string anywhere that is an email address with its hash;
 *  - email addresses inside longer strings ("contact jane@x.io") with their hashes;
 *  - object keys that are, or contain, email addresses likewise.
 * Values already hashed (`emailhash:v1:…`) are left as they are, so hashing twice changes nothing.
 */

export type EmailHasher = (email: string) => string;

const HASH_PREFIX = 'emailhash:';
/** Cheap first test: no `@`, no email. */
const EMAIL_IN_TEXT = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+/g;
const WHOLE_EMAIL = /^\s*[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\s*$/;

/** Keys whose value is an email address: the last word is `email`/`mail`, or the words end in `email address`. */
export const isEmailKey = memoizeByString(classifyKey);

function classifyKey(key: string): boolean {
  const k = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return /(?:^|[^a-z0-9])e?-?mail(?:[^a-z0-9]*address)?$/.test(k) || k === 'email' || k === 'mail';
}

function hashString(value: string, hash: EmailHasher, emailKey: boolean): string {
  if (value.startsWith(HASH_PREFIX)) return value;
  if (emailKey) return value.trim().length === 0 ? value : hash(value);
  if (value.indexOf('@') === -1) return value;
  if (WHOLE_EMAIL.test(value)) return hash(value);
  return value.replace(EMAIL_IN_TEXT, (match) => hash(match));
}

/** Hashes every email in `value` in place and returns it. */
export function hashEmailsInPlace<T>(value: T, hash: EmailHasher): T {
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item = node[i];
        if (typeof item === 'string') node[i] = hashString(item, hash, false);
        else walk(item);
      }
      return;
    }
    const obj = node as Record<string, unknown>;
    for (const key of Object.keys(obj)) {
      const child = obj[key];
      let target = key;
      if (key.indexOf('@') !== -1) {
        target = hashString(key, hash, false);
        if (target !== key) {
          delete obj[key];
          obj[target] = child;
        }
      }
      if (typeof child === 'string') obj[target] = hashString(child, hash, isEmailKey(key));
      else walk(child);
    }
  };
  walk(value);
  return value;
}

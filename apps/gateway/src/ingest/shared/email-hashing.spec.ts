import { hashEmailsInPlace, isEmailKey } from './email-hashing';

const hash = (email: string): string => `H(${email.trim().toLowerCase()})`;

describe('email hashing walker', () => {
  it.each(['email', 'Email', 'customer_email', 'buyerEmail', 'emailAddress', 'email_address', 'e-mail', 'mail'])('treats %p as an email key', (key) =>
    expect(isEmailKey(key)).toBe(true),
  );
  it.each(['email_verified', 'emails_sent', 'gmail', 'voicemail', 'hotmail_user', 'mailbox_id'])('does not treat %p as an email key', (key) =>
    expect(isEmailKey(key)).toBe(false),
  );

  it('hashes email keys, email-looking values anywhere, addresses inside text, and keys that are addresses', () => {
    const body = {
      email: 'Jane@Example.com',
      buyerEmail: 'not-an-address',
      emptyEmail: '',
      externalUserId: 'jane@example.com',
      nested: { list: ['a@b.io', 'plain', { contact_email: 'x@y.io' }], note: 'write to ops@acme.io or dev@acme.io' },
      'bob@acme.io': 3,
      count: 1,
      flag: true,
    };
    expect(hashEmailsInPlace(body, hash)).toEqual({
      email: 'H(jane@example.com)',
      buyerEmail: 'H(not-an-address)',
      emptyEmail: '',
      externalUserId: 'H(jane@example.com)',
      nested: { list: ['H(a@b.io)', 'plain', { contact_email: 'H(x@y.io)' }], note: 'write to H(ops@acme.io) or H(dev@acme.io)' },
      'H(bob@acme.io)': 3,
      count: 1,
      flag: true,
    });
  });

  it('is idempotent: hashed values are left as they are', () => {
    const salted = (email: string): string => `emailhash:v1:${email.length}`;
    const once = hashEmailsInPlace({ email: 'a@b.io', other: 'c@d.io' }, salted);
    expect(hashEmailsInPlace(structuredClone(once), salted)).toEqual(once);
  });
});

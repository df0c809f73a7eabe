import { findSecrets, isSecretKey, secretKindOf } from './secret-scanner';

describe('secret scanner', () => {
  it.each(['password', 'Password', 'passwd', 'client_secret', 'secretKey', 'token', 'accessToken', 'refresh_token', 'csrf-token', 'api_key', 'apiKey', 'x-api-key', 'API_KEY', 'authorization', 'Cookie', 'set-cookie', 'private_key', 'aws_secret_access_key'])(
    'treats the key %p as a credential',
    (key) => expect(isSecretKey(key)).toBe(true),
  );

  it.each(['inputTokens', 'total_tokens', 'token_count', 'secretary', 'session_id', 'customer_subscription_id', 'visitor_fingerprint', 'usage', 'keyboard', 'subscriberCredential'])(
    'leaves the ordinary key %p alone',
    (key) => expect(isSecretKey(key)).toBe(false),
  );

  it.each([
    ['sk_live_51HxYzAbCdEfGhIjKl', 'a Stripe secret key'],
    ['rk_test_51HxYzAbCdEfGh', 'a Stripe secret key'],
    ['Bearer abcdefghijklmnop', 'a bearer credential'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'a JWT'],
    ['AKIAIOSFODNN7EXAMPLE', 'an AWS access key'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE...', 'a PEM block'],
    [`sec_${'a'.repeat(40)}`, 'a Revstream token'],
  ])('recognizes %p as %s', (value, kind) => expect(secretKindOf(value)).toBe(kind));

  it.each(['pk_live_51HxYzAbCdEfGh', 'cus_123', 'ch_1Nv...', 'sub-321', 'hello world', 'bearer', 'https://example.com/a.b.c'])('does not flag %p', (value) =>
    expect(secretKindOf(value)).toBeNull(),
  );

  it('reports every finding by path, skipping the named top-level credential keys and non-credential values', () => {
    const body = {
      token: 'sec_whatever-this-authenticates',
      data: {
        metadata: { password: 'hunter2', nested: [{ ok: 1 }, { note: 'Bearer abcdefghijklmnop' }] },
        'odd key': 'AKIAIOSFODNN7EXAMPLE',
        secret: true,
        api_key: null,
        inputTokens: 1250,
      },
    };
    expect(findSecrets(body, '', ['token'])).toEqual([
      'data.metadata.password: secret-like field (password); do not send credentials',
      'data.metadata.nested[1].note: looks like a bearer credential; do not send credentials',
      'data["odd key"]: looks like an AWS access key; do not send credentials',
    ]);
    expect(findSecrets(body)).toContain('token: secret-like field (token); do not send credentials');
  });
});

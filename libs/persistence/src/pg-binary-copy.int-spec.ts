import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { BinaryCopyWriter } from '@revstream/persistence';

describe('binary COPY rows against the real Postgres', () => {
  const client = new Client({ connectionString: process.env.DATABASE_URL! });

  beforeAll(async () => {
    await client.connect();
  });

  afterAll(async () => {
    await client.end();
  });

  it('arrive as the text, integers, instants and decimals written, nulls included', async () => {
    await client.query('CREATE TEMP TABLE copied (n bigint, t text, i bigint, at timestamptz, v numeric)');
    const texts = ['plain', '', 'tab\there, new\nline, \\backslash', 'ünïcødé 😀', 'ascii then é', 'x'.repeat(300), null];
    const ints = [0, 1, -1, 2n ** 63n - 1n, Number.MIN_SAFE_INTEGER, -(2n ** 63n), null];
    const instants = [0, 1_780_000_000_123, -86_400_001, 946_684_800_000, 253_402_300_799_999, 1, null];
    const decimals = [
      { coefficient: 0n, scale: 0 },
      { coefficient: 155n, scale: 1 },
      { coefficient: -42n, scale: 0 },
      { coefficient: 10n ** 30n + 7n, scale: 12 },
      { coefficient: 9_007_199_254_740_993n, scale: 0 },
      { coefficient: 1n, scale: 20 },
      null,
    ];
    const rows = new BinaryCopyWriter(16); // small on purpose: it grows
    for (let i = 0; i < texts.length; i++) rows.row(5).int8(i).text(texts[i]!).int8(ints[i]!).timestamptz(instants[i]!).numeric(decimals[i]!);
    const stream = client.query(copyFrom('COPY copied (n, t, i, at, v) FROM STDIN (FORMAT binary)'));
    await new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
      stream.end(rows.finish());
    });
    const { rows: back } = await client.query<{ t: string | null; i: string | null; ms: string | null; v: string | null }>(
      `SELECT t, i::text AS i, (extract(epoch FROM at) * 1000)::bigint::text AS ms, v::text AS v FROM copied ORDER BY n`,
    );
    expect(back.map((r) => r.t)).toEqual(texts);
    expect(back.map((r) => r.i)).toEqual(ints.map((n) => (n === null ? null : String(n))));
    expect(back.map((r) => r.ms)).toEqual(instants.map((n) => (n === null ? null : String(n))));
    expect(back.map((r) => r.v)).toEqual(['0', '15.5', '-42', '1000000000000000000.000000000007', '9007199254740993', '0.00000000000000000001', null]);
  });

  it('refuses integers it cannot send exactly', () => {
    expect(() => new BinaryCopyWriter().row(1).int8(2 ** 53)).toThrow(/not a safe integer/);
  });
});

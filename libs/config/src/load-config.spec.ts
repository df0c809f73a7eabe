import { IsInt, Min } from 'class-validator';
import { CommonConfig } from './common.config';
import { ConfigError, loadConfig } from './load-config';

class TestConfig extends CommonConfig {
  @IsInt() @Min(1)
  PORT: number = 3000;
}

describe('loadConfig', () => {
  it('applies defaults when the environment is empty', () => {
    const config = loadConfig(TestConfig, {});
    expect(config.PORT).toBe(3000);
    expect(config.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/revstream');
  });

  it('converts numbers and keeps overrides', () => {
    const config = loadConfig(TestConfig, { PORT: '8080', KAFKA_BROKERS: 'a:1,b:2' });
    expect(config.PORT).toBe(8080);
    expect(config.KAFKA_BROKERS).toBe('a:1,b:2');
  });

  it('fails fast, naming every bad variable and what it got', () => {
    let error: unknown;
    try {
      loadConfig(TestConfig, { PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT: .*"eighty"/);
    expect(message).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL \(got "mysql:\/\/x"\)/);
    expect(message).toMatch(/LOG_LEVEL/);
    expect((error as ConfigError).problems).toHaveLength(3);
  });
});

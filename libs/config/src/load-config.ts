import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { type ValidationError, validateSync } from 'class-validator';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Constructor<T> = new () => T;

function flatten(errors: ValidationError[], env: Record<string, string | undefined>): string[] {
  return errors.flatMap((e) => {
    const value = env[e.property];
    const shown = value === undefined ? 'unset' : `got ${JSON.stringify(value)}`;
    const messages = Object.values(e.constraints ?? {}).map((m) => m.replace(new RegExp(`^${e.property} `), ''));
    return [`${e.property}: ${messages.join('; ')} (${shown})`];
  });
}

/**
 * Reads and validates the environment once, at boot. Defaults are the schema's property initializers.
 * A bad variable fails fast with a ConfigError that names it; unknown variables are ignored.
 */
export function loadConfig<T extends object>(schema: Constructor<T>, env: Record<string, string | undefined> = process.env): T {
  const known = Object.keys(new schema());
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(schema, relevant, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(flatten(errors, env));
  return Object.freeze(config);
}

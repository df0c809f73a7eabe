import { type ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { IngestError } from './ingest-error';
import { findSecrets } from './secret-scanner';
import { validationProblems } from './validation-problems';

export interface ValidateBodyOptions<T> {
  /** Where `value` sits in the request body, for problem paths (`data` for Pulsora's data). Default: the root. */
  root?: string;
  /** Top-level keys that carry a credential by design and are never stored (Pulsora's `token`). */
  credentialKeys?: readonly string[];
  /** Scan for secret-like content (default). Off when the enclosing body was already scanned. */
  scanSecrets?: boolean;
  /** Rules class-validator cannot express (cross-field); each returns `path: message` lines. Run once the DTO is valid. */
  extraChecks?: (dto: T) => string[];
}

/**
 * The DTO step of every ingest endpoint: refuses secret-like content anywhere in the raw body, then
 * validates it with the endpoint's class-validator DTO. Every problem is reported at once, by path;
 * one bad event refuses the whole body (batches are atomic). Fields no DTO declares are dropped.
 */
export function validateBody<T extends object>(dto: ClassConstructor<T>, value: unknown, options: ValidateBodyOptions<T> = {}): T {
  const root = options.root ?? '';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IngestError('invalid', [`${root || 'body'}: must be a JSON object`]);
  }
  const secrets = options.scanSecrets === false ? [] : findSecrets(value, root, options.credentialKeys ?? []);
  const instance = plainToInstance(dto, value);
  const problems = validationProblems(validateSync(instance, { whitelist: true, forbidUnknownValues: false, validationError: { target: false } }), root);
  if (problems.length === 0 && options.extraChecks) problems.push(...options.extraChecks(instance));
  if (secrets.length > 0) throw new IngestError('secret', [...secrets, ...problems]);
  if (problems.length > 0) throw new IngestError('invalid', problems);
  return instance;
}

import type { ClassConstructor } from 'class-transformer';
import type { MetadataStorage } from 'class-transformer/types/MetadataStorage';
import { validateSync } from 'class-validator';
import { IngestError } from './ingest-error';
import { findSecrets } from './secret-scanner';
import { validationProblems } from './validation-problems';

// The @Type(() => Dto) metadata class-transformer keeps; not exported from its package root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const typeMetadata = (require('class-transformer/cjs/storage') as { defaultMetadataStorage: MetadataStorage }).defaultMetadataStorage;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;

/**
 * Makes a freshly parsed JSON body an instance of its DTO in place, nested objects included, as
 * declared by `@Type(() => Dto)`: what class-transformer's plainToInstance does, without copying
 * every event of a 1000-event batch (the body is ours: Fastify parsed it for this request, and it
 * refuses `__proto__` and `constructor` keys).
 */
export function adoptAs(dto: Function, value: Record<string, unknown>): void {
  for (const key of Object.keys(value)) {
    const meta = typeMetadata.findTypeMetadata(dto, key);
    if (meta === undefined) continue;
    const type = meta.typeFunction();
    const child = value[key];
    if (Array.isArray(child)) {
      for (const item of child) if (isPlainObject(item)) adoptAs(type, item);
    } else if (isPlainObject(child)) {
      adoptAs(type, child);
    }
  }
  Object.setPrototypeOf(value, dto.prototype);
}

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
 * The body becomes the DTO instance in place (see adoptAs).
 */
export function validateBody<T extends object>(dto: ClassConstructor<T>, value: unknown, options: ValidateBodyOptions<T> = {}): T {
  const root = options.root ?? '';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IngestError('invalid', [`${root || 'body'}: must be a JSON object`]);
  }
  const secrets = options.scanSecrets === false ? [] : findSecrets(value, root, options.credentialKeys ?? []);
  adoptAs(dto, value as Record<string, unknown>);
  const instance = value as T;
  const problems = validationProblems(validateSync(instance, { whitelist: true, forbidUnknownValues: false, validationError: { target: false } }), root);
  if (problems.length === 0 && options.extraChecks) problems.push(...options.extraChecks(instance));
  if (secrets.length > 0) throw new IngestError('secret', [...secrets, ...problems]);
  if (problems.length > 0) throw new IngestError('invalid', problems);
  return instance;
}

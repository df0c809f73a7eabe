import type { ValidationError } from 'class-validator';
import { childPath } from './json-path';

/**
 * class-validator's error tree as a flat list of `path: message` lines, one per problem, in body
 * order: `events[3].occurredAt: must be an ISO-8601 date`. Pure.
 */
export function validationProblems(errors: readonly ValidationError[], parent = ''): string[] {
  const out: string[] = [];
  for (const error of errors) {
    // Array items come back as properties "0", "1", …
    const path = childPath(parent, /^\d+$/.test(error.property) ? Number(error.property) : error.property);
    for (const message of new Set(Object.values(error.constraints ?? {}))) {
      out.push(`${path}: ${message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message}`);
    }
    if (error.children && error.children.length > 0) out.push(...validationProblems(error.children, path));
  }
  return out;
}

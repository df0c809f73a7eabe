const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `events[3].occurredAt`, `data["weird key"]`: how a problem names where it is. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (IDENTIFIER.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

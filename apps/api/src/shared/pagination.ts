import { BadRequestException } from '@nestjs/common';

/** A page of a list, and the cursor of the next page (null on the last one). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** Opaque cursors: the sort key of the last item returned, base64url JSON. */
export function encodeCursor(key: ReadonlyArray<string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): Array<string | number> | null {
  if (cursor === undefined || cursor === '') return null;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string' || typeof k === 'number')) return key as Array<string | number>;
  } catch {
    // fall through
  }
  throw new BadRequestException('cursor: not a cursor this API returned');
}

export function parseLimit(limit: string | undefined): number {
  if (limit === undefined || limit === '') return DEFAULT_PAGE_SIZE;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new BadRequestException(`limit: must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return n;
}

/** Builds a page from `limit + 1` rows fetched: the extra row only says whether there is a next page. */
export function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, keyOf: (row: R) => ReadonlyArray<string | number>): Page<T> {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items: items.map(map), nextCursor: more && items.length > 0 ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
}

/**
 * Instants cross the driver as epoch milliseconds (bigint), not as ISO strings or Dates: exact,
 * and far cheaper to write and parse by the batch. These turn them into timestamptz and back in SQL.
 */
export const fromMs = (expr: string): string => `(timestamptz 'epoch' + (${expr}) * interval '1 millisecond')`;
export const toMs = (expr: string): string => `(extract(epoch FROM ${expr}) * 1000)::bigint`;

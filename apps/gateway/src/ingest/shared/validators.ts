import { registerDecorator, type ValidationOptions } from 'class-validator';
import { CURRENCY_PATTERN, excessDecimals, MoneyError, toMinorUnits } from '@revstream/money';

/**
 * Custom class-validator rules the seeds need. Messages are written without the property name: the
 * path says where. The `Optional…` variants also accept a missing or null value in the same single
 * check (one rule instead of IsOptional + ValidateIf + the rule: class-validator's cost is per rule,
 * and a batch of 1000 events runs each rule 1000 times).
 */
function rule(name: string, message: string, test: (value: unknown, object: Record<string, unknown>) => boolean, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate: (value: unknown, args) => test(value, (args?.object ?? {}) as Record<string, unknown>) },
    });
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** An ISO-8601 date and time with a zone (`Z` or an offset), as every seed example sends it. */
export const isIsoInstant = (value: unknown): value is string => typeof value === 'string' && ISO_INSTANT.test(value) && !Number.isNaN(Date.parse(value));

export const IsIsoInstant = (options?: ValidationOptions): PropertyDecorator =>
  rule('isIsoInstant', 'must be an ISO-8601 date', isIsoInstant, options);

export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const IsJsonObject = (options?: ValidationOptions): PropertyDecorator => rule('isJsonObject', 'must be a JSON object', isJsonObject, options);

export const IsNonEmptyString = (options?: ValidationOptions): PropertyDecorator =>
  rule('isNonEmptyString', 'must be a non-empty string', (v) => typeof v === 'string' && v.trim().length > 0, options);

/** Ids some clients send as numbers (`user.id` in the Next.js snippet). Stored as strings. */
export const IsIdentifier = (options?: ValidationOptions): PropertyDecorator =>
  rule(
    'isIdentifier',
    'must be a non-empty string (or an integer id)',
    (v) => (typeof v === 'string' && v.trim().length > 0) || (typeof v === 'number' && Number.isSafeInteger(v)),
    options,
  );

export const IsCurrencyCode = (options?: ValidationOptions): PropertyDecorator =>
  rule('isCurrencyCode', 'must be an ISO 4217 currency code (e.g. USD)', (v) => typeof v === 'string' && CURRENCY_PATTERN.test(v.toUpperCase()), options);

/** A finite number with no more decimals than the currency of `currencyField` (default USD) allows. */
export const FitsCurrency = (currencyField: string, options?: ValidationOptions): PropertyDecorator =>
  rule(
    'fitsCurrency',
    'has more decimal places than its currency allows',
    (v, o) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return true; // IsNumber reports it
      const currency = typeof o[currencyField] === 'string' && CURRENCY_PATTERN.test((o[currencyField] as string).toUpperCase()) ? (o[currencyField] as string) : 'USD';
      return excessDecimals(v, currency) === 0;
    },
    options,
  );

/**
 * A money amount in major units whose value in minor units is an exact integer (at most 2^53 - 1):
 * 1e21 USD is a finite number with no decimals, yet no amount of money this pipeline can add exactly.
 */
export const FitsMinorUnits = (currencyField: string, options?: ValidationOptions): PropertyDecorator =>
  rule(
    'fitsMinorUnits',
    `is too large: in minor units it must be at most ${Number.MAX_SAFE_INTEGER}`,
    (v, o) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return true; // IsNumber reports it
      const currency = typeof o[currencyField] === 'string' && CURRENCY_PATTERN.test((o[currencyField] as string).toUpperCase()) ? (o[currencyField] as string) : 'USD';
      if (excessDecimals(v, currency) > 0) return true; // FitsCurrency reports it
      try {
        toMinorUnits(v, currency);
        return true;
      } catch (error) {
        if (error instanceof MoneyError) return false;
        throw error;
      }
    },
    options,
  );

/** An integer amount in minor units (or a count) that JSON carries exactly: at most 2^53 - 1 either way. */
export const IsSafeMagnitude = (options?: ValidationOptions): PropertyDecorator =>
  rule('isSafeMagnitude', `must be between -${Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`, (v) => typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) <= Number.MAX_SAFE_INTEGER, options);

/** Revenium's payload: metric name to finite number, at least one. */
export const IsMetricMap = (options?: ValidationOptions): PropertyDecorator =>
  rule(
    'isMetricMap',
    'must be an object of at least one metric name mapped to a finite number',
    (v) => isJsonObject(v) && Object.keys(v).length > 0 && Object.entries(v).every(([k, n]) => k.trim().length > 0 && typeof n === 'number' && Number.isFinite(n)),
    options,
  );

/** A tier bound: a non-negative integer, "inf", or null for the last, unbounded tier. */
export const IsTierBound = (options?: ValidationOptions): PropertyDecorator =>
  rule('isTierBound', 'must be a non-negative integer, "inf" or null', (v) => v === null || v === 'inf' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0), options);

const missing = (v: unknown): boolean => v === undefined || v === null;

export const OptionalNonEmptyString = (options?: ValidationOptions): PropertyDecorator =>
  rule('optionalNonEmptyString', 'must be a non-empty string', (v) => missing(v) || (typeof v === 'string' && v.trim().length > 0), options);

export const OptionalString = (options?: ValidationOptions): PropertyDecorator =>
  rule('optionalString', 'must be a string', (v) => missing(v) || typeof v === 'string', options);

export const OptionalJsonObject = (options?: ValidationOptions): PropertyDecorator =>
  rule('optionalJsonObject', 'must be a JSON object', (v) => missing(v) || isJsonObject(v), options);

export const OptionalIdentifier = (options?: ValidationOptions): PropertyDecorator =>
  rule(
    'optionalIdentifier',
    'must be a non-empty string (or an integer id)',
    (v) => missing(v) || (typeof v === 'string' && v.trim().length > 0) || (typeof v === 'number' && Number.isSafeInteger(v)),
    options,
  );

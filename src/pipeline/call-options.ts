import { PipelineOptionError } from './errors.js';

/** A value as an error message shows it: strings quoted (so "0.5" reads as text), numbers and the rest as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/**
 * A call's options bag as a plain-JS caller may pass it: undefined gives the defaults, an object is used as is, and
 * anything else (null, a number, a string) is a PipelineOptionError naming the call, rather than a TypeError from
 * deep inside it. @internal
 */
export function optionsObject<T extends object>(value: T | undefined, call: string): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PipelineOptionError('options', `${call} takes an options object, got ${describeValue(value)}`);
  }
  return value;
}

/** A list argument (images, faces) checked to be an array, so a string is not read as a list of characters. @internal */
export function requireArray<T>(value: readonly T[], option: string, call: string): readonly T[] {
  if (!Array.isArray(value)) throw new PipelineOptionError(option, `${call} takes an array, got ${describeValue(value)}`);
  return value;
}

import { ModelFormatError } from '../core/errors.js';

/** protobufjs decodes int64 fields as Long objects (or numbers when Long is absent). */
export interface LongLike { low: number; high: number; unsigned?: boolean; toNumber(): number }

export function longToNumber(value: number | LongLike | null | undefined, what: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const n = value.toNumber();
  if (!Number.isSafeInteger(n)) {
    // int64 values such as INT64_MAX appear in Slice ends; clamp to the safe range, which every consumer treats as "to the end".
    if (Number.isFinite(n)) return n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
    throw new ModelFormatError(`${what}: int64 value out of range`);
  }
  return n;
}

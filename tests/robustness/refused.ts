/** The assertion the bad-input suites share: a promise that must reject with one typed engine error. */
import assert from 'node:assert/strict';
import type { InsightGpuError } from '../../src/core/errors.js';

/** Asserts that `promise` rejects with an instance of `type` whose message matches `pattern`; returns the error. */
export async function refused<T extends InsightGpuError>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T, pattern?: RegExp): Promise<T> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${type.name}, but it succeeded`);
  assert.ok(caught instanceof type, `expected ${type.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`);
  if (pattern) assert.match((caught as T).message, pattern);
  return caught as T;
}

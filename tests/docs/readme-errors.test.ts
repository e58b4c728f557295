// The README names the typed errors a user catches with `instanceof`; each such name has to be a class the user can
// import from one of the package's entry points, or the README sends them to a name that does not exist.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as main from '../../src/node.js';
import * as models from '../../models/index.js';
import * as forge from '../../models/forge/index.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Error names the README mentions that are types of a CLI output record (a line's `error.type`), not classes to import. */
const CLI_RECORD_TYPES = new Set(['NoFaceError']);

function namedErrors(text: string): string[] {
  return [...new Set([...text.matchAll(/`([A-Z][A-Za-z]*Error)\b/g)].map((m) => m[1]!))].sort();
}

test('the README names errors', () => {
  // The extraction itself must find the README's errors, so an emptied pattern cannot pass the next test vacuously.
  const names = namedErrors(readme);
  for (const n of ['ImageError', 'PipelineOptionError', 'ModelPackError', 'InputError', 'FaceIndexConflictError']) assert.ok(names.includes(n), n);
});

test('every error class the README names is exported by an entry point', () => {
  const entries: Record<string, Record<string, unknown>> = { insightgpu: main, 'insightgpu/models': models, 'insightgpu/forge': forge };
  const missing: string[] = [];
  for (const name of namedErrors(readme)) {
    if (CLI_RECORD_TYPES.has(name)) continue;
    const found = Object.entries(entries).filter(([, m]) => typeof m[name] === 'function' && (m[name] as { prototype: unknown }).prototype instanceof Error);
    if (found.length === 0) missing.push(name);
  }
  assert.deepEqual(missing, [], `README names error classes no entry point exports: ${missing.join(', ')}`);
});

test('the errors the README says come from insightgpu are exported there', () => {
  // The README's Node and browser snippets import these from 'insightgpu' itself.
  for (const name of ['ImageError', 'PipelineOptionError', 'ModelPackError', 'InputError', 'PrecisionUnavailableError', 'FaceIndexConflictError', 'FrameReentryError', 'WorkerError', 'MissingPackageError', 'VideoError', 'VideoDecoderMissingError']) {
    assert.equal(typeof (main as Record<string, unknown>)[name], 'function', name);
  }
});

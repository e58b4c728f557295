/**
 * Every error class spells out its `name` as a string literal. A minifying bundler renames classes (and renames them
 * differently in a page's bundle and in its worker's), so a name taken from the class itself would differ across
 * bundles and the worker could not rebuild the class; a subclass that forgets its own literal inherits its parent's
 * name, which TypeScript does not flag (only direct subclasses of InsightGpuError must declare one).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '../..');

function sources(folder: string): string[] {
  return readdirSync(path.join(root, folder), { recursive: true }).map(String)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => path.join(folder, f));
}

/** The error classes in one file's text, each with the body up to the next top-level class (or the file's end). */
function errorClasses(text: string): { name: string; body: string }[] {
  const found = [...text.matchAll(/^export (?:abstract )?class (\w+) extends (\w+)/gm)];
  return found.map((m, i) => ({ name: m[1]!, base: m[2]!, body: text.slice(m.index, found[i + 1]?.index ?? text.length) }))
    .filter((c) => c.base.endsWith('Error'));
}

describe('error class names', () => {
  const classes = ['src', 'cli', 'models'].flatMap(sources)
    .flatMap((file) => errorClasses(readFileSync(path.join(root, file), 'utf8')).map((c) => ({ ...c, file })));

  it('finds the error classes (the scan itself works)', () => {
    // More than the three folders' handful of base classes: a broken pattern would find none and pass below.
    assert.ok(classes.length >= 30, `found ${classes.length}`);
    assert.ok(classes.some((c) => c.name === 'ImageError'));
  });

  it('each error class writes its own name out as a string literal', () => {
    // `readonly name: string = 'X'` (the engine's errors), `readonly name = 'X'` or `this.name = 'X'` (plain Errors).
    const spelled = (c: { name: string; body: string }): boolean => new RegExp(`(readonly name(: string)?|this\\.name) = '${c.name}';`).test(c.body);
    const missing = classes.filter((c) => c.name !== 'InsightGpuError' && !spelled(c));
    assert.deepEqual(missing.map((c) => `${c.file}: ${c.name}`), []);
  });
});

// The examples are what a user copies: they import the package by its name and subpaths, never the repository's
// folders, and the repository resolves those names to the source the package's Node entries are built from.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkSnippets, formatErrors, repoRoot, sourceEntries, type Snippet } from './snippets.js';

const examplesDir = path.join(repoRoot, 'examples');

/**
 * JavaScript examples left out of the typecheck, with why. The .ts ones are in tsconfig.check.json's program.
 * main.js reads its page's elements with querySelector, nullable under strict checkJs though index.html has them;
 * tests/package/check.ts builds it with vite and reads its face count in chromium.
 */
const UNCHECKED_JS = new Set(['examples/browser/main.js']);

function exampleFiles(dir = examplesDir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? exampleFiles(path.join(dir, e.name)) : /\.(m?[jt]s|html)$/.test(e.name) ? [path.join(dir, e.name)] : []);
}

/** The module specifiers of a file's static and dynamic imports and re-exports. */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm)].map((m) => m[2]!);
}

describe('examples/', () => {
  const files = exampleFiles();

  it('has examples, whose imports are read', () => {
    assert.ok(files.some((f) => f.endsWith('model-zoo.ts')), files.join(', '));
    assert.deepEqual(specifiers("import a from 'x';\nexport { b } from \"y\";\nawait import('z');\nimport 'w';"), ['x', 'y', 'z', 'w']);
  });

  it('import the package by its name, not the repository\'s folders', () => {
    const packageNames = new Set(Object.keys(sourceEntries()));
    const wrong: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        const rel = path.relative(repoRoot, file);
        if (spec.startsWith('.')) {
          // A file of the example itself is fine; a path out of examples/ is not in the installed package.
          if (path.relative(examplesDir, path.resolve(path.dirname(file), spec)).startsWith('..')) wrong.push(`${rel}: '${spec}'`);
        } else if (spec.startsWith('insightgpu') && !packageNames.has(spec)) {
          wrong.push(`${rel}: '${spec}' is not one of package.json's exports (${[...packageNames].join(', ')})`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('resolve insightgpu to the Node entries\' source in the repository (tsconfig.json paths)', () => {
    // tsx (the examples' runner here) and tsc read these paths; they must name the files package.json's exports are
    // built from, so that an example runs here on what it would import once installed.
    const config = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths?: Record<string, string[]> } };
    const paths = Object.fromEntries(Object.entries(config.compilerOptions.paths ?? {}).map(([k, v]) => [k, v.map((p) => path.join(repoRoot, p))]));
    const expected = Object.fromEntries(Object.entries(sourceEntries()).map(([k, v]) => [k, [v.node]]));
    assert.deepEqual(paths, expected);
  });

  it('that are JavaScript modules typecheck (checkJs, strict) as a user\'s, against the source entries', () => {
    const js = files.filter((f) => /\.m?js$/.test(f)).map((f) => path.relative(repoRoot, f));
    assert.ok(js.includes('examples/node/analyze.mjs'), js.join(', '));
    const modules: Snippet[] = js.filter((f) => !UNCHECKED_JS.has(f)).map((f) => ({
      // fenceLine 0: the module's lines are the file's own.
      file: f, fenceLine: 0, lang: 'js', prelude: '', browser: f.startsWith('examples/browser/'),
      code: readFileSync(path.join(repoRoot, f), 'utf8'),
    }));
    const errors = checkSnippets(modules);
    assert.equal(errors.length, 0, formatErrors(errors));
  });
});

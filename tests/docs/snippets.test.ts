// The Markdown files' ts and js blocks compile, as a user's modules, against the package's source entry points
// (tests/docs/snippets.ts says how they are extracted and checked, and how a block is marked).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkSnippets, extractSnippets, formatErrors, repoRoot, repoSnippets, sourceEntries, type Snippet } from './snippets.js';

const snippets = repoSnippets();

describe('Markdown code blocks', () => {
  it('are all found: every ts and js fence of README.md is a snippet', () => {
    // A second, plain reading of the README's fences, so an extraction that drops blocks cannot pass vacuously.
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8').split('\n');
    const fences = readme.flatMap((line, i) => (/^```(ts|typescript|js|javascript)\s*$/.test(line) ? [i + 1] : []));
    assert.ok(fences.length >= 10, `only ${fences.length} ts/js fences in README.md`);
    assert.deepEqual(snippets.filter((s) => s.file === 'README.md').map((s) => s.fenceLine), fences);
  });

  it('left unchecked are few, each with its reason', () => {
    const unchecked = snippets.filter((s) => s.noCheck !== undefined);
    assert.ok(unchecked.length <= 3, `unchecked: ${unchecked.map((s) => `${s.file}:${s.fenceLine}`).join(', ')}`);
    for (const s of unchecked) assert.ok(s.noCheck!.length > 10, `${s.file}:${s.fenceLine} says why it is not checked`);
  });

  it('map every package.json export to a source file that exists', () => {
    const entries = sourceEntries();
    assert.ok('insightgpu' in entries && 'insightgpu/models' in entries, Object.keys(entries).join(', '));
    for (const [name, files] of Object.entries(entries)) {
      for (const file of [files.node, files.browser]) assert.ok(existsSync(file), `${name} → ${file}`);
    }
  });

  it('typecheck (strict) against the source entry points', () => {
    const errors = checkSnippets(snippets);
    assert.equal(errors.length, 0, `snippets that do not compile:\n${formatErrors(errors)}`);
  });

  it('that are wrong fail the check, placed on their Markdown line', () => {
    const doc = [
      '# Doc', // 1
      '```ts', // 2
      "import { FaceAnalysis } from 'insightgpu';", // 3
      "const app = await FaceAnalysis.create({ models: 'buffalo_l', backend: 'gpu' });", // 4: no such backend
      '```',
      '<!-- snippet',
      'declare const app: number;',
      '-->',
      '```ts', // 9
      'app.prepare({});', // 10: the prelude says app is a number
      '```',
      '<!-- snippet browser -->',
      '```js', // 13
      "import { NoSuchExport } from 'insightgpu/models';", // 14
      '```',
      '<!-- snippet no-check: a sketch of a shell session, not a module -->',
      '```ts',
      'this is not TypeScript',
      '```',
    ].join('\n');
    const found = extractSnippets(doc, 'doc.md');
    assert.deepEqual(found.map((s) => [s.fenceLine, s.lang, s.browser, s.noCheck !== undefined]), [
      [2, 'ts', false, false],
      [9, 'ts', false, false],
      [13, 'js', true, false],
      [17, 'ts', false, true],
    ]);
    const errors = checkSnippets(found);
    const lines = errors.map((e) => e.where.replace(/:\d+$/, ''));
    assert.deepEqual([...new Set(lines)].sort(), ['doc.md:10', 'doc.md:14', 'doc.md:4'], formatErrors(errors));
    assert.match(formatErrors(errors), /NoSuchExport/);
  });

  it('that use a Node-only export fail under the browser entry', () => {
    // FaceAnalysisPool is the Node entry's (worker threads): the browser entry has none, and the check tells them apart.
    const block = (browser: boolean): Snippet => ({
      file: 'doc.md', fenceLine: 1, lang: 'ts', prelude: '', browser,
      code: "import { FaceAnalysisPool } from 'insightgpu';\nconsole.log(FaceAnalysisPool.name);",
    });
    const errors = checkSnippets([block(false), block(true)]);
    assert.deepEqual(errors.map((e) => e.snippet.browser), [true], formatErrors(errors));
  });

  it('marked no-check say why', () => {
    assert.throws(() => extractSnippets('<!-- snippet no-check -->\n```ts\nx\n```', 'doc.md'), /says why/);
    assert.throws(() => extractSnippets('<!-- snippet brwoser -->\n```ts\nx\n```', 'doc.md'), /unknown snippet flag 'brwoser'/);
  });
});

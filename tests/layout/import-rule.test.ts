/**
 * The layout's import rule (.dependency-cruiser.cjs) holds for the tree, and is not a check that cannot fail: the
 * same configuration, run over small trees with one deliberate back-edge or circle, reports exactly that edge.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';

const repo = resolve(import.meta.dirname, '../..');
const config = join(repo, '.dependency-cruiser.cjs');
const depcruise = join(repo, 'node_modules/.bin/depcruise');

interface Violation { readonly rule: { readonly name: string }; readonly from: string; readonly to: string }

/** Runs the checker in `cwd` over `roots` and returns its violations. */
function cruise(cwd: string, roots: readonly string[]): Violation[] {
  const r = spawnSync(depcruise, [...roots, '--config', config, '--output-type', 'json'], { cwd, encoding: 'utf8' });
  assert.ok(r.stdout.length > 0, `depcruise printed nothing: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

const scratch = mkdtempSync(join(tmpdir(), 'layout-rule-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function tree(name: string, files: Readonly<Record<string, string>>): string {
  const dir = join(scratch, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

test('the tree has no violation of the import rule', () => {
  assert.deepEqual(cruise(repo, ['src', 'cli', 'models', 'bench']).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`), []);
});

test('a back-edge from an earlier stage to a later one fails', () => {
  const dir = tree('back-edge', {
    'src/core/ir.ts': "import { face } from '../pipeline/face.js';\nexport const ir = face;\n",
    'src/pipeline/face.ts': 'export const face = 1;\n',
    'src/graph/pass.ts': "import { ir } from '../core/ir.js';\nexport const pass = ir;\n",
  });
  const found = cruise(dir, ['src']).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  assert.deepEqual(found, ['core-imports-no-later-stage: src/core/ir.ts → src/pipeline/face.ts']);
});

test('a type-only back-edge fails too, and so does an op family imported by the shared op helpers', () => {
  const dir = tree('type-edge', {
    'src/ops/kernel/op-module.ts': "import type { ConvParams } from '../conv/params.js';\nexport type P = ConvParams;\n",
    'src/ops/conv/params.ts': 'export interface ConvParams { readonly group: number }\n',
    'src/backends/plan.ts': "import type { Session } from '../session/session.js';\nexport type S = Session;\n",
    'src/session/session.ts': 'export interface Session { readonly name: string }\n',
  });
  const found = cruise(dir, ['src']).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
  assert.deepEqual(found, [
    'backends-imports-no-later-stage: src/backends/plan.ts → src/session/session.ts',
    'ops-shared-imports-no-family: src/ops/kernel/op-module.ts → src/ops/conv/params.ts',
  ]);
});

test('an import circle inside one stage fails', () => {
  const dir = tree('circle', {
    'src/ops/conv/cpu.ts': "import { fast } from './cpu-simd.js';\nexport const conv = fast;\n",
    'src/ops/conv/cpu-simd.ts': "import type { conv } from './cpu.js';\nexport const fast = 1;\nexport type C = typeof conv;\n",
  });
  const found = cruise(dir, ['src']);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.rule.name, 'no-circular');
  assert.deepEqual([found[0]!.from, found[0]!.to].sort(), ['src/ops/conv/cpu-simd.ts', 'src/ops/conv/cpu.ts']);
});

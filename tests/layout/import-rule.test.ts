/**
 * The layout's import rule (.dependency-cruiser.cjs) holds for the tree, and is not a check that cannot fail: the
 * same configuration, run over small trees with one deliberate back-edge or circle, reports exactly that edge.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, test } from 'node:test';

const repo = resolve(import.meta.dirname, '../..');
const config = join(repo, '.dependency-cruiser.cjs');
const depcruise = join(repo, 'node_modules/.bin/depcruise');

interface Violation { readonly rule: { readonly name: string }; readonly from: string; readonly to: string }

/**
 * Runs the checker in `cwd` over `roots` and returns its violations. The report goes to a file, not a pipe: the
 * whole tree's JSON is over a megabyte, past spawnSync's default stdout buffer, and a pipe cut short hands
 * JSON.parse half a report. A run that was killed, failed, or wrote a report that is not whole fails here, naming
 * what went wrong.
 */
function cruise(cwd: string, roots: readonly string[]): Violation[] {
  const report = join(scratch, `report-${++reports}.json`);
  const r = spawnSync(depcruise, [...roots, '--config', config, '--output-type', 'json', '--output-to', report], { cwd, encoding: 'utf8' });
  assert.equal(r.error, undefined, `depcruise did not run: ${String(r.error)}`);
  assert.equal(r.signal, null, `depcruise was killed by ${r.signal}: ${r.stderr}`);
  assert.equal(r.status, 0, `depcruise failed: ${r.stderr}`);
  assert.ok(existsSync(report), `depcruise wrote no report: ${r.stderr}`);
  return parseReport(readFileSync(report, 'utf8'));
}

interface Report {
  readonly modules?: unknown;
  readonly summary?: { readonly violations?: unknown; readonly totalCruised?: unknown; readonly error?: unknown; readonly warn?: unknown; readonly info?: unknown };
}

/**
 * The violations of one depcruise JSON report. A report cut short is not JSON; one that parses but lost parts
 * (a rewritten file, a format change) has a module list or violation list that disagrees with its own counts.
 */
function parseReport(text: string): Violation[] {
  let report: Report;
  try {
    report = JSON.parse(text) as Report;
  } catch (error) {
    throw new Error(`depcruise's report (${text.length} characters) is not whole JSON: ${(error as Error).message}`);
  }
  const s = report.summary;
  if (!Array.isArray(report.modules) || !s || !Array.isArray(s.violations)) throw new Error("depcruise's report has no modules, summary or violations");
  if (s.totalCruised !== report.modules.length) throw new Error(`depcruise's report lists ${report.modules.length} modules of ${String(s.totalCruised)} cruised`);
  const counted = [s.error, s.warn, s.info].reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : Number.NaN), 0);
  if (counted !== s.violations.length) throw new Error(`depcruise's report lists ${s.violations.length} violations of ${counted} counted`);
  return s.violations as Violation[];
}

let reports = 0;
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

test('a report cut short, or one that disagrees with its own counts, fails loudly', () => {
  const summary = { violations: [{ rule: { name: 'r' }, from: 'a', to: 'b' }], totalCruised: 2, error: 1, warn: 0, info: 0 };
  const whole = JSON.stringify({ modules: [{}, {}], summary });
  assert.equal(parseReport(whole).length, 1);
  assert.throws(() => parseReport(whole.slice(0, -3)), /not whole JSON/);
  assert.throws(() => parseReport(JSON.stringify({ modules: [{}], summary })), /lists 1 modules of 2 cruised/);
  assert.throws(() => parseReport(JSON.stringify({ modules: [{}, {}], summary: { ...summary, violations: [] } })), /lists 0 violations of 1 counted/);
  assert.throws(() => parseReport('{"modules": []}'), /no modules, summary or violations/);
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

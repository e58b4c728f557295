/**
 * Every shared model, mutated ≥1,000 times (seeded): each mutant must load and run, or be refused with one of the
 * engine's typed errors — never a TypeError/RangeError, a crash or a hang — within a per-case time bound.
 * FUZZ_CASES and FUZZ_SEED override the case count and seed for longer local runs.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { FuzzPolicy } from './fuzz-case.js';
import { fuzzModel, type ModelReport, type TimeBound } from './fuzz-driver.js';

const MODELS_DIR = process.env['INSIGHTGPU_MODELS_DIR'] ?? join(import.meta.dirname, '../../../shared/models');
const CASES = Number(process.env['FUZZ_CASES'] ?? 1000);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20261128);

const POLICY: FuzzPolicy = {
  // SCRFD-2.5G's input is dynamic; 32×32 is the smallest size its strides (8, 16, 32) accept and runs in ms.
  symbolicSize: 32,
  // The tiny heads and SCRFD at 32×32 stay under ~0.7M activation elements; MobileFaceNet (6.7M) and SCRFD-500M at
  // its fixed 640×640 (31M) take ~1 s a run, so only their structurally changed mutants run, 5 of them.
  cheapActivations: 2_000_000,
  maxExpensiveRuns: 5,
};

/**
 * Per-case bound, in CPU ms of the case's own process (other processes competing for the cores do not count):
 * 20× the unmutated model's load (plus 2× its run when the case runs or fails while running) + 3000 ms. A mutant
 * does at most what the original does — one parse and re-encode to build it, one load, a run with ≤2× the
 * activations — so a healthy case stays within ~3×. Measured on a heavily shared 2-core VM (load average ~40,
 * where CPU time is inflated too), single cases reached ~1.7 s against a 10×/500 ms bound while the typical case
 * took 5–50% of it; hence 20× and a 1 s floor for GC pauses and JIT warm-up of code paths the original never took.
 * What the bound catches is a hang or a blow-up (an allocation of up to MAX_TENSOR_ELEMENTS, quadratic loops);
 * a case with no result after 120 s wall is declared hung and its process killed.
 */
// Floor raised from 1 s to 3 s after a clean-clone run: scrfd_500m case 19 (Conv → Flatten, refused at load with
// UnsupportedOpError) used 1752 CPU ms early in the run (first JIT of that refusal path), against a 1704 ms bound.
const BOUND: TimeBound = { factor: 20, floorMs: 3000, hangMs: 120_000 };

/** Two processes at a time: the CI machine has 2 cores. */
const PARALLEL = 2;

function formatReport(r: ModelReport): string {
  const c = r.counts;
  const ref = r.reference ? `ref load ${r.reference.loadMs.toFixed(0)} run ${r.reference.runMs.toFixed(0)} ms` : 'no reference';
  const tight = r.tightest ? `, tightest ${(100 * r.tightest.cpuMs / r.tightest.boundMs).toFixed(0)}% of bound` : '';
  return `${r.model}: ${r.cases} cases — refused at load ${c['refused-load']}, refused at run ${c['refused-run']}, ran ${c.ran}, ` +
    `loaded only ${c.loaded}, untyped ${c.untyped}; ${(r.totalMs / 1000).toFixed(1)} s (${ref}${tight})`;
}

test(`mutated models (${CASES} per model) load and run or fail with typed errors, in bounded time`, async () => {
  assert.ok(existsSync(MODELS_DIR), `the shared models are missing at ${MODELS_DIR} (set INSIGHTGPU_MODELS_DIR)`);
  // Largest first, so the two processes finish at about the same time.
  const models = readdirSync(MODELS_DIR).filter((f) => f.endsWith('.onnx'))
    .sort((a, b) => statSync(join(MODELS_DIR, b)).size - statSync(join(MODELS_DIR, a)).size);
  assert.ok(models.length > 0, `no .onnx files in ${MODELS_DIR}`);
  const reports: ModelReport[] = [];
  const queue = [...models];
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
      reports.push(await fuzzModel(m, join(MODELS_DIR, m), SEED + models.indexOf(m), CASES, POLICY, BOUND));
    }
  }));
  reports.sort((a, b) => a.model.localeCompare(b.model));
  console.log(reports.map(formatReport).join('\n'));

  const problems: string[] = [];
  for (const r of reports) {
    if (r.fatal) problems.push(`${r.model}: ${r.fatal}`);
    else if (r.cases !== CASES) problems.push(`${r.model}: only ${r.cases} of ${CASES} cases ran`);
    for (const f of r.failures.slice(0, 5)) {
      problems.push(`${r.model} case ${f.index} [seed ${SEED + models.indexOf(r.model)}] (${f.description}): ${f.outcome}: ${f.detail.split('\n').slice(0, 6).join('\n    ')}`);
    }
    if (r.failures.length > 5) problems.push(`${r.model}: ${r.failures.length - 5} more failures`);
  }
  assert.ok(problems.length === 0, problems.join('\n'));
});

/**
 * The kernel-tier report (bench/node/tier-report.ts) reads what run-gpu.sh's WebGPU steps wrote: these fixtures are
 * bench-webgpu rows in their real shape, and each verdict follows from them by the 5% rule the report states.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stepMedians } from '../../bench/node/bench-webgpu.js';
import { compareSteps, formatTierReport, pays, readTierInputs, tierRows } from '../../bench/node/tier-report.js';

const H200 = 'NVIDIA H200 (nvidia, vulkan)';
const steps = (...list: [string, string, number][]) => list.map(([node, op, ms]) => ({ node, op, ms }));

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiers-'));
  for (const [file, value] of Object.entries(files)) writeFileSync(join(dir, file), typeof value === 'string' ? value : JSON.stringify(value));
  return dir;
}

describe('kernel-tier report', () => {
  it('counts a saving as paying from 5% and, per step, from 1 µs', () => {
    assert.equal(pays(10, 9.5), true);
    assert.equal(pays(10, 9.51), false);
    assert.equal(pays(10, 11), false);
    assert.equal(pays(0.01, 0.0095, 0.001), false, '0.5 µs is under the timestamps\' resolution');
    assert.equal(pays(0.04, 0.038, 0.001), true);
  });

  it('matches steps by name and lists those found in one profile only', () => {
    const { steps: matched, unmatched } = compareSteps(
      { gpu_steps: steps(['conv0', 'Conv', 0.2], ['conv1', 'Conv', 0.1], ['split0', 'Gemm', 0.05]) },
      { gpu_steps: steps(['conv0', 'Conv', 0.1], ['conv1', 'Conv', 0.099], ['fused0', 'Conv', 0.01]) },
    );
    assert.deepEqual(matched.map((s) => [s.node, s.pays]), [['conv0', true], ['conv1', false]]);
    assert.deepEqual(unmatched.sort(), ['fused0', 'split0']);
  });

  it('judges each model on warm latency and names the steps that do not pay', () => {
    const dir = folder({
      'webgpu.json': [
        { model: 'det_10g@640', adapter: H200, ours_ms: 2.0, gpu_ms: 1.8, cold_ours_ms: 300, specialize_ms: 900, first_kernels: 'generic',
          gpu_steps: steps(['conv0', 'Conv', 0.5], ['conv1', 'Conv', 0.3], ['head', 'Conv', 0.0200]) },
        { model: 'tiny_genderage', adapter: H200, ours_ms: 0.30, gpu_ms: 0.1, cold_ours_ms: 40, specialize_ms: 60, first_kernels: 'generic', gpu_steps: null },
      ],
      'webgpu-generic.json': [
        { model: 'det_10g@640', adapter: H200, ours_ms: 3.0, gpu_ms: 2.9, gpu_steps: steps(['conv0', 'Conv', 1.2], ['conv1', 'Conv', 0.6], ['head', 'Conv', 0.0205]) },
        { model: 'tiny_genderage', adapter: H200, ours_ms: 0.31, gpu_ms: 0.1, gpu_steps: null },
      ],
      'webgpu-specialized.json': [{ model: 'det_10g@640', adapter: H200, ours_ms: 2.0, cold_ours_ms: 1500 }],
    });
    const rows = tierRows(readTierInputs(dir));
    const det = rows.find((r) => r.model === 'det_10g@640')!;
    assert.equal(det.verdict, 'specialised pays (33% faster warm)');
    assert.deepEqual([det.coldTieredMs, det.coldSpecializedMs, det.specializeMs], [300, 1500, 900]);
    assert.deepEqual(det.steps.map((s) => s.pays), [true, true, false]);
    const tiny = rows.find((r) => r.model === 'tiny_genderage')!;
    assert.equal(tiny.verdict, 'generic alone (specialised saves 3.2% warm, under 5%)');
    assert.deepEqual(tiny.steps, []);
    const text = formatTierReport(rows);
    assert.match(text, /\| det_10g@640 \| 3\.000 ms \| 2\.000 ms \| 0\.67× \| 2\.900 ms \| 1\.800 ms \| 2 \/ 3 \| 300\.0 ms \| 1500\.0 ms \| 900\.0 ms \| specialised pays/);
    assert.match(text, /det_10g@640: 1 of 3 steps' specialised kernels save under 5% \(0\.020 ms of GPU time on them\); the costliest: head \(Conv\) 20\.5 → 20\.0 µs/);
  });

  it('shows a software adapter\'s rows without judging them', () => {
    const sw = 'google / swiftshader / swiftshader-device-subzero-';
    const dir = folder({
      'webgpu.json': [{ model: 'tiny_genderage', adapter: sw, ours_ms: 10, gpu_ms: 9 }],
      'webgpu-generic.json': [{ model: 'tiny_genderage', adapter: sw, ours_ms: 20, gpu_ms: 19 }],
    });
    const inputs = readTierInputs(dir);
    const [row] = tierRows(inputs);
    assert.equal(row!.verdict, 'not judged (software adapter)');
    assert.match(formatTierReport([row!], inputs.problems), /webgpu-specialized\.json missing/);
  });

  it('says what is missing instead of judging', () => {
    const dir = folder({ 'webgpu.json': [{ model: 'w600k_r50', adapter: H200, ours_ms: 5 }], 'webgpu-generic.json': '{ torn' });
    const inputs = readTierInputs(dir);
    assert.match(inputs.problems.generic!, /webgpu-generic\.json unreadable/);
    assert.match(tierRows(inputs)[0]!.verdict, /^not measured \(webgpu-generic\.json unreadable/);
    const empty = readTierInputs(mkdtempSync(join(tmpdir(), 'tiers-')));
    assert.deepEqual(tierRows(empty), []);
    assert.match(formatTierReport(tierRows(empty), empty.problems), /tiered: webgpu\.json missing/);
  });

  it('takes each step\'s median over the profiled runs', () => {
    const run = (a: number, b: number) => [{ node: 'conv0', opType: 'Conv', ms: a }, { node: 'pool', opType: 'GlobalAveragePool', ms: b }];
    assert.deepEqual(stepMedians([run(3, 1), run(1, 5), run(2, 2)]), [{ node: 'conv0', op: 'Conv', ms: 2 }, { node: 'pool', op: 'GlobalAveragePool', ms: 2 }]);
  });
});

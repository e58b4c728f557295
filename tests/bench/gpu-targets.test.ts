/**
 * The GPU target table (bench/node/gpu-targets.ts) judges what the benchmarks wrote: these fixtures are benchmark
 * files in their real shapes, and each verdict and value below follows from them by the target's own arithmetic.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatTargets, readTargetInputs, targetRows, type TargetRow } from '../../bench/node/gpu-targets.js';

const H200 = 'NVIDIA H200 (nvidia, vulkan)';
const row = (rows: readonly TargetRow[], what: string): TargetRow => {
  const found = rows.find((r) => r.what.startsWith(what));
  assert.ok(found, `no row '${what}'`);
  return found;
};

describe('GPU target table', () => {
  it('says "not measured" with the missing file for every row of an empty folder', () => {
    const rows = targetRows(readTargetInputs(mkdtempSync(join(tmpdir(), 'targets-'))));
    assert.ok(rows.length >= 20);
    for (const r of rows) {
      assert.equal(r.verdict, 'not measured', r.what);
      assert.match(r.measured, /^not measured \(.*\.json missing/, r.what);
    }
  });

  it('judges rates against the yardstick, latency and ratios against their targets', () => {
    const dir = mkdtempSync(join(tmpdir(), 'targets-'));
    const write = (file: string, value: unknown): void => writeFileSync(join(dir, file), JSON.stringify(value));
    write('gemm.json', [
      { size: 2048, kernel: 'reference', adapter: H200, ms: 0.6, gflops: 28000, rel_error: 1e-6 },
      { size: 4096, kernel: 'reference', adapter: H200, ms: 4, gflops: 30000, rel_error: 1e-6 },
      { size: 4096, kernel: 'engine', adapter: H200, ms: 3, gflops: 40000, rel_error: 1e-6 },
    ]);
    write('webgpu.json', [
      { model: 'det_10g@640', adapter: H200, ours_gflops: 12000, ours_gflops_gpu: 18000, ratio: 0.2, cold_ours_ms: 100, cold_peer_ms: 400 },
      { model: 'w600k_r50', adapter: H200, ours_gflops: 9000, ours_gflops_gpu: 9000, ratio: 0.6, cold_ours_ms: 300, cold_peer_ms: 500 },
      { model: '1k3d68', adapter: H200, ours_gflops: 12000, ours_gflops_gpu: null, ratio: 0.3, cold_ours_ms: 10, cold_peer_ms: 100 },
    ]);
    write('index.json', { gpu: H200, rows: [{ n: 10000, gpu_ms: 0.2, cpu_ms: 1 }, { n: 1000000, gpu_ms: 4.2, cpu_ms: 84 }] });
    write('collection.json', { backend: 'webgpu', adapter: H200, ratio: 2.5, identical_lines: false });
    write('buffalo.json', { adapter: H200, precisions: [{ precision: 'fp32', faces: 6, faces_ok: true, buffalo_work_ms: 9.5, ratio_to_forwards: 1.2 },
      { precision: 'fp16', faces: 5, faces_ok: false, buffalo_work_ms: 4, ratio_to_forwards: 1 }], cold: { ratio: 0.4 } });
    writeFileSync(join(dir, 'fp16.json'), '{ "adapter": "torn');
    const rows = targetRows(readTargetInputs(dir));
    // The yardstick is the reference kernel's best rate (30 TFLOP/s), not the engine's.
    assert.equal(row(rows, 'yardstick').measured, '30.0 TFLOP/s at 4096³');
    // 18000 / 30000 = 60% on GPU time (≥ 50%: met); 12000 / 30000 = 40% on wall (≥ 35%: met).
    assert.deepEqual([row(rows, 'det_10g@640: rate on summed GPU').measured, row(rows, 'det_10g@640: rate on summed GPU').verdict], ['60.0%', 'met']);
    assert.deepEqual([row(rows, 'det_10g@640: rate on wall').measured, row(rows, 'det_10g@640: rate on wall').verdict], ['40.0%', 'met']);
    // 9000 / 30000 = 30%: below both.
    assert.equal(row(rows, 'w600k_r50: rate on summed GPU').verdict, 'not met');
    assert.equal(row(rows, 'w600k_r50: rate on wall').verdict, 'not met');
    // A row without GPU time says how to get it; a model with no row says which row is missing.
    assert.match(row(rows, '1k3d68: rate on summed GPU').measured, /--profile/);
    assert.match(row(rows, 'w600k_r50@b8: rate on wall').measured, /no w600k_r50@b8 row in webgpu\.json/);
    assert.match(row(rows, 'inswapper (forward): rate on wall').measured, /swap\.json missing/);
    // Cold start: the worst ratio is w600k_r50's 300 / 500 = 0.6.
    assert.deepEqual([row(rows, 'cold start, every model').measured, row(rows, 'cold start, every model').verdict], ['0.60× (w600k_r50)', 'not met']);
    assert.equal(row(rows, 'cold start, the whole pack').verdict, 'met');
    // Warm: the worst ratio is w600k_r50's 0.6.
    assert.deepEqual([row(rows, 'every model warm').measured, row(rows, 'every model warm').verdict], ['0.60× (w600k_r50)', 'not met']);
    assert.equal(row(rows, 'buffalo_l work of t1.jpg at det 640, fp32').verdict, 'met');
    // fp16 is fast but found 5 faces: not the six-face workload, so not met.
    assert.deepEqual([row(rows, 'buffalo_l work of t1.jpg at det 640, fp16').measured, row(rows, 'buffalo_l work of t1.jpg at det 640, fp16').verdict],
      ['4.000 ms (found 5 faces, not 6)', 'not met']);
    assert.equal(row(rows, 'buffalo_l work against').verdict, 'not met');
    assert.deepEqual([row(rows, 'exact top-10 search').measured, row(rows, 'exact top-10 search').verdict], ['4.200 ms', 'met']);
    assert.equal(row(rows, 'the same, CPU path / GPU').measured, '20.00×');
    // 2.5× but the lines differ: a faster wrong answer does not meet the target.
    assert.equal(row(rows, 'collection').verdict, 'not met');
    assert.match(row(rows, 'fp16: slowest speedup fp32').measured, /fp16\.json unreadable/);
    assert.match(formatTargets(rows), /\| 14 \| det_10g@640: rate on summed GPU time \/ yardstick \| ≥ 50% \| 60\.0% \| met \|/);
  });

  it('shows a software adapter\'s numbers without judging them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'targets-'));
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ gpu: 'google / swiftshader (SwiftShader Device (Subzero))', rows: [{ n: 1000000, gpu_ms: 900, cpu_ms: 90 }] }));
    const r = row(targetRows(readTargetInputs(dir)), 'exact top-10 search');
    assert.equal(r.verdict, 'not measured');
    assert.equal(r.measured, '900.0 ms (software adapter: not a GPU measurement)');
  });

  it('passes on the benchmark\'s own reason when it measured nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'targets-'));
    writeFileSync(join(dir, 'fp16.json'), JSON.stringify({ adapter: H200, not_measured: 'the adapter has no shader-f16', rows: [] }));
    const r = row(targetRows(readTargetInputs(dir)), 'fp16: slowest speedup fp32');
    assert.equal(r.measured, 'not measured (not measured there: the adapter has no shader-f16)');
  });
});

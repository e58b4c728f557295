/**
 * `npx tsx bench/node/bench-fp16.ts [--models-dir DIR] [--replicas DIR] [--models A,B] [--subgroup-matrix] [--runs N] [--warmup N] [--json FILE]`: the
 * WebGPU fp16 path (precision 'fp16') against fp32 on the same adapter, per model: warm latency of both (interleaved
 * rounds, specialised kernels, one process), their ratio fp32/fp16 (issue 14's target: ≥ 1.6), bytes uploaded at each
 * precision, and the max relative error of fp16 against fp32 (the CPU emulation's bound: tests/webgpu/fp16-bounds.ts).
 * On an adapter without shader-f16 (SwiftShader) it says so and measures nothing: "not measured".
 * `--subgroup-matrix` makes the device as an fp16 plan does (in Node with allow_unsafe_apis), prints the adapter's
 * subgroupMatrixConfigs and the one chosen, and times a third plan: fp16 on subgroup matrices, against fp16 on the
 * normal tile (subgroupMatrix 'off'); without the feature it says "not measured". `--models` keeps the named rows.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { InferenceSession } from '../../src/session/session.js';
import type { TensorData } from '../../src/core/ir.js';
import { Prng } from '../../models/forge/prng.js';
import { BENCH_MODELS, REPLICA_BENCH_MODELS, type BenchModel } from './bench-models.js';
import { modelPlanStats } from './bench-plan-stats.js';
import { formatMs, measureInterleaved } from './bench-util.js';
import { maxRelativeError } from './fp16-emulation.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** One model's fp32 and fp16 numbers on one adapter. */
export interface Fp16BenchRow {
  readonly model: string;
  readonly fp32_ms: number;
  readonly fp16_ms: number;
  /** fp32 median over fp16 median: above 1 when fp16 is faster. */
  readonly speedup: number;
  readonly upload_mib: { readonly fp32: number; readonly fp16: number };
  /** Worst output's max |fp16 − fp32| / max |fp32|. */
  readonly relative_error: number;
  /** With --subgroup-matrix: the fp16 plan on subgroup matrices, its ratio fp16 (normal tile) / it, and its error against fp32. */
  readonly subgroup_matrix?: { readonly fp16_ms: number; readonly speedup: number; readonly relative_error: number };
}

function seeded(dims: readonly number[], seed: number): TensorData {
  const prng = new Prng(seed);
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = 2 * prng.uniform() - 1;
  return { type: 'float32', dims: [...dims], data };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'models-dir': { type: 'string', default: resolve(HERE, '../../../shared/models') }, replicas: { type: 'string' },
      runs: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, json: { type: 'string' },
      models: { type: 'string' }, 'subgroup-matrix': { type: 'boolean', default: false },
    },
  });
  const matrix = values['subgroup-matrix'] === true;
  const gpu = await acquireDevice({ allowSoftwareAdapter: true, ...(matrix ? { precision: 'fp16' as const } : {}) });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    console.log(`fp16 against fp32 on ${gpu.description}`);
    if (matrix) {
      const info = (gpu.device as GPUDevice & { adapterInfo?: { subgroupMatrixConfigs?: readonly object[] } }).adapterInfo;
      console.log(`subgroupMatrixConfigs: ${JSON.stringify(info?.subgroupMatrixConfigs ?? [])}`);
      console.log(`chosen: ${gpu.subgroupMatrix ? JSON.stringify(gpu.subgroupMatrix) : 'none'}`);
    }
    // The JSON says why nothing was measured, and is rewritten after each row (a run cut at its time limit keeps them).
    const report = (rows: readonly Fp16BenchRow[], notMeasured?: string): void => {
      if (values.json) writeFileSync(values.json, JSON.stringify({ adapter: gpu.description, ...(matrix ? { subgroupMatrix: gpu.subgroupMatrix } : {}), ...(notMeasured ? { not_measured: notMeasured } : {}), rows }, null, 2));
    };
    if (!gpu.hasShaderF16) {
      const why = 'the adapter has no shader-f16 (precision \'fp16\' is refused there)';
      console.log(`not measured: ${why}`);
      report([], why);
      return;
    }
    if (matrix && !gpu.subgroupMatrix) {
      const why = 'the adapter offers no chromium-experimental-subgroup-matrix with an f16 configuration';
      console.log(`not measured: ${why}`);
      report([], why);
      return;
    }
    const only = values.models?.split(',');
    const models: [BenchModel, string][] = [
      ...BENCH_MODELS.map((m): [BenchModel, string] => [m, join(values['models-dir'], m.file)]),
      ...(values.replicas ? REPLICA_BENCH_MODELS.map((m): [BenchModel, string] => [m, join(values.replicas!, m.file)]) : []),
    ].filter(([m, f]) => existsSync(f) && (!only || only.includes(m.name)));
    const rows: Fp16BenchRow[] = [];
    for (const [model, file] of models) {
      const bytes = new Uint8Array(readFileSync(file));
      const wide = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device } });
      // With --subgroup-matrix the plain fp16 plan is told not to use them; the third one does.
      const half = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device, precision: 'fp16', ...(matrix ? { subgroupMatrix: 'off' as const } : {}) } });
      const tensor = matrix ? await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device: gpu.device, precision: 'fp16' } }) : undefined;
      const feeds = { [model.input]: seeded(model.dims, 5) };
      const [w, h] = [await wide.run(feeds), await half.run(feeds)];
      const hm = tensor ? await tensor.run(feeds) : undefined;
      await Promise.all([wide.specialized(), half.specialized(), tensor?.specialized()]);
      const [tw, th, tm] = await measureInterleaved([
        async () => { await wide.run(feeds); }, async () => { await half.run(feeds); }, ...(tensor ? [async () => { await tensor.run(feeds); }] : []),
      ], Number(values.warmup), Number(values.runs));
      const relative = Math.max(...wide.outputNames.map((n) => maxRelativeError(h[n]!, w[n]!)));
      const subgroupMatrix = hm && tm
        ? { fp16_ms: tm.median, speedup: th!.median / tm.median, relative_error: Math.max(...wide.outputNames.map((n) => maxRelativeError(hm[n]!, w[n]!))) }
        : undefined;
      const stats = modelPlanStats(bytes, model, false);
      rows.push({
        model: model.name, fp32_ms: tw!.median, fp16_ms: th!.median, speedup: tw!.median / th!.median,
        upload_mib: { fp32: stats.uploadedBytes / 2 ** 20, fp16: stats.fp16.uploadedBytes / 2 ** 20 }, relative_error: relative,
        ...(subgroupMatrix ? { subgroup_matrix: subgroupMatrix } : {}),
      });
      await wide.release();
      await half.release();
      await tensor?.release();
      report(rows);
    }
    console.log(`${'model'.padEnd(16)} ${'fp32'.padStart(9)} ${'fp16'.padStart(9)} ${'fp32/fp16'.padStart(9)} ${'upload MiB fp32/fp16'.padStart(21)} ${'rel err'.padStart(8)}`);
    for (const r of rows) {
      console.log(`${r.model.padEnd(16)} ${formatMs(r.fp32_ms).padStart(9)} ${formatMs(r.fp16_ms).padStart(9)} ${r.speedup.toFixed(2).padStart(9)} ${`${r.upload_mib.fp32.toFixed(1)}/${r.upload_mib.fp16.toFixed(1)}`.padStart(21)} ${r.relative_error.toExponential(1).padStart(8)}`);
    }
    if (matrix) {
      console.log(`${'model'.padEnd(16)} ${'fp16'.padStart(9)} ${'fp16 sgmat'.padStart(10)} ${'fp16/sgmat'.padStart(10)} ${'rel err'.padStart(8)}`);
      for (const r of rows) {
        const m = r.subgroup_matrix!;
        console.log(`${r.model.padEnd(16)} ${formatMs(r.fp16_ms).padStart(9)} ${formatMs(m.fp16_ms).padStart(10)} ${m.speedup.toFixed(2).padStart(10)} ${m.relative_error.toExponential(1).padStart(8)}`);
      }
    }
    report(rows);
  } finally {
    clearInterval(keepAlive);
    gpu.release();
  }
}

main().catch((error: unknown) => { console.error(error); process.exitCode = 1; });

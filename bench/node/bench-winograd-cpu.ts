/**
 * `tsx bench/node/bench-winograd-cpu.ts`: whether a CPU Winograd path would pay. Times the float32 Winograd
 * F(2×2, 3×3) reference (src/ops/conv/winograd.ts) against the CPU backend's WASM SIMD 3×3 conv on the same layers,
 * in one run, and prints the ratio; the CPU backend keeps its direct SIMD kernel unless Winograd is faster.
 */
import { Prng } from '../../models/forge/prng.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { conv3x3Simd, conv3x3SimdFits } from '../../src/ops/conv/cpu-simd-3x3.js';
import { F2X2_3X3, winogradConvF32, winogradWeights } from '../../src/ops/conv/winograd.js';
import { prepareSimdKernels, simdKernels } from '../../src/ops/wasm/runtime.js';

const LAYERS: [number, number, number][] = [[64, 64, 56], [128, 128, 28], [256, 256, 14]];

function best(f: () => void, runs: number): number {
  let ms = Infinity;
  for (let r = 0; r < runs; r++) { const t = performance.now(); f(); ms = Math.min(ms, performance.now() - t); }
  return ms;
}

if (!(await prepareSimdKernels())) throw new Error('WASM SIMD is not available here');
const kernels = simdKernels()!;
const prng = new Prng(3);
console.log('Best of runs; the Winograd weights are transformed once, outside the timing.\nlayer              simd-3x3 ms  winograd ms  winograd/simd');
for (const [ic, oc, size] of LAYERS) {
  const p: ConvParams = { group: 1, kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], rank: 4, inDims: [1, ic, size, size], outDims: [1, oc, size, size], epilogue: { kind: 'none' } };
  if (!conv3x3SimdFits(p)) throw new Error(`simd-3x3 does not take ${ic}→${oc} @${size}`);
  const x = prng.fill(ic * size * size, 1);
  const w = prng.fill(oc * ic * 9, 0.05);
  const y = new Float32Array(oc * size * size);
  const u = winogradWeights(F2X2_3X3, w, oc, ic);
  const simd = best(() => conv3x3Simd(kernels, p, x, w, undefined, y), 3);
  const wino = best(() => winogradConvF32(F2X2_3X3, p, x, u, undefined, y), 2);
  console.log(`${`${ic}→${oc} @${size}`.padEnd(18)} ${simd.toFixed(1).padStart(11)}  ${wino.toFixed(1).padStart(11)}  ${(wino / simd).toFixed(2).padStart(12)}×`);
}

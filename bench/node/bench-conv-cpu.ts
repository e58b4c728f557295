/**
 * `tsx bench/node/bench-conv-cpu.ts [--runs N]`: the CPU backend's conv fast paths on the test-bed models' costliest
 * layer shapes, in GMAC/s (best of runs), so kernel changes can be compared layer by layer. For a 1×1 layer it also
 * times both 1×1 paths (the whole-plane GEMM and the pixel-blocked one), alternating them run by run, and prints
 * blocked / whole-plane: the numbers `pointwiseBlockedFits` is set from. A benchmark, not a test.
 */
import { Prng } from '../../models/forge/prng.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { convCpu } from '../../src/ops/conv/cpu.js';
import { convSimd } from '../../src/ops/conv/cpu-simd.js';
import { convPointwiseBlocked, pointwiseBlockedFits } from '../../src/ops/conv/cpu-simd-pointwise.js';
import { prepareSimdKernels, simdKernels } from '../../src/ops/wasm/runtime.js';
import { integerFlag, parseFlags } from './bench-args.js';

/** [cin, cout, output size, kernel, stride, group] */
const LAYERS: [number, number, number, number, number, number][] = [
  [48, 48, 80, 3, 1, 1], [24, 24, 160, 3, 1, 1], [12, 24, 320, 3, 1, 1], [3, 12, 320, 3, 2, 1], [3, 16, 320, 3, 2, 1],
  [24, 48, 80, 3, 2, 1], [48, 48, 40, 3, 2, 1], [48, 80, 20, 3, 2, 1], [16, 16, 40, 3, 2, 1],
  [64, 64, 80, 3, 1, 1], [80, 80, 20, 3, 1, 1], [3, 64, 56, 3, 2, 1], [3, 8, 96, 3, 2, 1], [16, 32, 24, 3, 2, 1],
  [16, 16, 320, 1, 1, 1], [40, 40, 160, 1, 1, 1], [16, 40, 160, 1, 1, 1], [72, 72, 80, 1, 1, 1], [40, 72, 80, 1, 1, 1],
  [64, 64, 80, 1, 1, 1], [72, 16, 80, 1, 1, 1], [16, 64, 80, 1, 1, 1], [48, 24, 80, 1, 1, 1], [152, 152, 40, 1, 1, 1],
  [288, 288, 20, 1, 1, 1], [64, 64, 56, 1, 1, 1], [64, 128, 56, 1, 1, 1], [256, 128, 14, 1, 1, 1], [128, 256, 14, 1, 1, 1],
  [256, 256, 14, 3, 1, 256], [128, 128, 28, 3, 1, 128], [64, 64, 56, 3, 1, 64], [16, 16, 320, 3, 1, 16], [16, 16, 160, 3, 2, 16],
];

const runs = integerFlag('runs', parseFlags(process.argv.slice(2), { runs: { type: 'string', default: '5' } }).runs, 1);
if (!(await prepareSimdKernels())) throw new Error('WASM SIMD is not available here');
const kernels = simdKernels()!;
const prng = new Prng(3);
console.log('layer                          ms     GMAC/s   1×1: whole-plane  blocked  blocked/whole (taken)');
for (const [ic, oc, size, k, s, group] of LAYERS) {
  const pad = k === 3 ? 1 : 0;
  const hin = size * s;
  const p: ConvParams = {
    group, kernel: [k, k], strides: [s, s], dilations: [1, 1], pads: [pad, pad, pad, pad], rank: 4,
    inDims: [1, ic, hin, hin], outDims: [1, oc, size, size], epilogue: { kind: 'none' },
  };
  const x = prng.fill(ic * hin * hin, 1);
  const w = prng.fill(oc * (ic / group) * k * k, 0.05);
  const bias = prng.fill(oc, 0.1);
  const y = new Float32Array(oc * size * size);
  const macs = oc * (ic / group) * k * k * size * size;
  // Enough calls per timing that each is timed over about 30 ms (at ~8 GMAC/s).
  const reps = Math.max(1, Math.round(2.4e8 / macs));
  const time = (f: () => void): number => {
    const t = performance.now();
    for (let i = 0; i < reps; i++) f();
    return (performance.now() - t) / reps;
  };
  const chosen = (): void => {
    convCpu(p, { type: 'float32', dims: p.inDims, data: x }, { type: 'float32', dims: [oc, ic / group, k, k], data: w }, { type: 'float32', dims: [oc], data: bias }, y);
  };
  const pointwise = k === 1 && group === 1;
  const paths = pointwise ? [chosen, () => convSimd(kernels, p, x, w, bias, y), () => convPointwiseBlocked(kernels, p, x, w, bias, y)] : [chosen];
  const best = paths.map(() => Infinity);
  for (let r = 0; r < runs + 1; r++) {
    paths.forEach((f, i) => {
      const ms = time(f);
      if (r > 0) best[i] = Math.min(best[i]!, ms);
    });
  }
  const gmacs = (ms: number): string => (macs / ms / 1e6).toFixed(2).padStart(7);
  const label = `${k}x${k}/s${s} ${group === 1 ? '' : 'dw '}${ic}→${oc} @${size}`;
  const extra = pointwise ? `   ${gmacs(best[1]!)}  ${gmacs(best[2]!)}  ${(best[2]! / best[1]!).toFixed(2)} (${pointwiseBlockedFits(p) ? 'blocked' : 'whole'})` : '';
  console.log(`${label.padEnd(28)} ${best[0]!.toFixed(2).padStart(7)}  ${gmacs(best[0]!)}${extra}`);
}

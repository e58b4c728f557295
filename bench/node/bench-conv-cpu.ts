/**
 * `tsx bench/node/bench-conv-cpu.ts [--runs N]`: the CPU backend's conv fast paths on the test-bed models' costliest
 * layer shapes, in GMAC/s (best of runs), so kernel changes can be compared layer by layer. A benchmark, not a test.
 */
import { Prng } from '../../models/forge/prng.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import { convCpu } from '../../src/ops/conv/cpu.js';
import { prepareSimdKernels } from '../../src/ops/wasm/runtime.js';
import { integerFlag, parseFlags } from './bench-args.js';

/** [cin, cout, output size, kernel, stride, group] */
const LAYERS: [number, number, number, number, number, number][] = [
  [48, 48, 80, 3, 1, 1], [24, 24, 160, 3, 1, 1], [12, 24, 320, 3, 1, 1], [3, 12, 320, 3, 2, 1],
  [64, 64, 80, 3, 1, 1], [80, 80, 20, 3, 1, 1], [3, 64, 56, 3, 2, 1],
  [64, 64, 56, 1, 1, 1], [64, 128, 56, 1, 1, 1], [256, 128, 14, 1, 1, 1], [128, 256, 14, 1, 1, 1],
  [256, 256, 14, 3, 1, 256], [128, 128, 28, 3, 1, 128], [64, 64, 56, 3, 1, 64],
];

const runs = integerFlag('runs', parseFlags(process.argv.slice(2), { runs: { type: 'string', default: '5' } }).runs, 1);
if (!(await prepareSimdKernels())) throw new Error('WASM SIMD is not available here');
const prng = new Prng(3);
console.log('layer                          ms     GMAC/s');
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
  let ms = Infinity;
  for (let r = 0; r < runs + 1; r++) {
    const t = performance.now();
    convCpu(p, { type: 'float32', dims: p.inDims, data: x }, { type: 'float32', dims: [oc, ic / group, k, k], data: w }, { type: 'float32', dims: [oc], data: bias }, y);
    if (r > 0) ms = Math.min(ms, performance.now() - t);
  }
  const macs = oc * (ic / group) * k * k * size * size;
  const label = `${k}x${k}/s${s} ${group === 1 ? '' : 'dw '}${ic}→${oc} @${size}`;
  console.log(`${label.padEnd(28)} ${ms.toFixed(2).padStart(7)}  ${(macs / ms / 1e6).toFixed(2).padStart(7)}`);
}

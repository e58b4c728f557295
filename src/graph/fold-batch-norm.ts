import type { BatchNormParams } from '../ops/batch-norm/cpu.js';
import type { ConvParams } from '../ops/conv/params.js';
import type { GemmParams } from '../ops/gemm/cpu.js';
import type { PlannedStep } from './specialize.js';
import type { GraphEditor } from './editor.js';
import { elementCount, lazyTensor } from '../core/ir.js';

/**
 * `make` run on the first call and its result kept. The folds below are decided from types, shapes and the small
 * per-channel statistics; the folded weights are made when first read (see lazyTensor), so lowering and the pipeline
 * requests do not wait for them.
 */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) { value = make(); made = true; }
    return value as T;
  };
}

/**
 * Whether a Gemm's C of `dims` holds one value per output feature n of N: [N], [1, N] (or one number when N is 1).
 * A C of [M, 1] broadcasts along the rows instead, one value per sample, even when M = N.
 */
function perFeature(dims: readonly number[], n: number): boolean {
  return elementCount(dims) === n && (dims.length === 0 || dims[dims.length - 1] === n);
}

/**
 * Conv → BatchNormalization becomes one Conv with scaled weights and shifted bias:
 * W'[m] = W[m]·a[m], B'[m] = (B[m] − mean[m])·a[m] + bias[m], a = scale / sqrt(var + ε).
 */
export function foldBatchNormIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((step, i) => {
    if (!step || step.node.opType !== 'Conv') return;
    const convParams = step.params as ConvParams;
    if (convParams.epilogue.kind !== 'none' || convParams.epilogue.residual) return;
    const out = step.outputs[0]!;
    const j = editor.soleConsumer(out);
    if (j === undefined) return;
    const bn = editor.steps[j]!;
    if (bn.node.opType !== 'BatchNormalization' || bn.inputs[0] !== out) return;
    const [scale, bias, mean, variance] = bn.inputs.slice(1, 5).map((n) => editor.constants.get(n));
    const weight = editor.constants.get(step.inputs[1]!);
    const convBias = step.inputs[2] ? editor.constants.get(step.inputs[2]) : undefined;
    if (!scale || !bias || !mean || !variance || !weight || (step.inputs[2] && !convBias)) return;
    const m = convParams.outDims[1];
    const { epsilon } = bn.params as BatchNormParams;
    const folded = once(() => {
      const w = weight.data as Float32Array;
      const perOut = w.length / m;
      const newW = new Float32Array(w.length);
      const newB = new Float32Array(m);
      const [s, b, mu, v] = [scale, bias, mean, variance].map((t) => t.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const cb = convBias?.data as Float32Array | undefined;
      for (let o = 0; o < m; o++) {
        const a = s[o]! / Math.sqrt(v[o]! + epsilon);
        for (let k = 0; k < perOut; k++) newW[o * perOut + k] = w[o * perOut + k]! * a;
        newB[o] = ((cb ? cb[o]! : 0) - mu[o]!) * a + b[o]!;
      }
      return { newW, newB };
    });
    const base = `${bn.outputs[0]}::bn_folded`;
    const wName = editor.addConstant(`${base}_weight`, lazyTensor('float32', weight.dims, () => folded().newW));
    const bName = editor.addConstant(`${base}_bias`, lazyTensor('float32', [m], () => folded().newB));
    const fused: PlannedStep = { ...step, inputs: [step.inputs[0]!, wName, bName], outputs: [bn.outputs[0]!], outputTypes: bn.outputTypes };
    editor.steps[i] = null;
    editor.steps[j] = fused;
  });
}

/**
 * BatchNormalization → Conv becomes one Conv, exactly: the normalisation y = α·x + β (α = scale/sqrt(var + ε),
 * β = bias − mean·α, per input channel) goes into the weights, W'[o, c] = W[o, c]·α[c], and the bias,
 * B'[o] = B[o] + Σ W[o, c]·β[c]. The conv padded the normalised tensor with zeros; the folded one pads x with
 * −β/α, which the normalisation maps to that 0 (ConvParams.padValues), so border outputs stay exact. Reflect pads
 * need nothing: mirroring commutes with a per-channel affine map. IResNet (w600k_r50) starts each block so.
 */
export function foldBatchNormBeforeConv(editor: GraphEditor): void {
  editor.steps.forEach((bn, i) => {
    if (!bn || bn.node.opType !== 'BatchNormalization') return;
    const out = bn.outputs[0]!;
    const j = editor.soleConsumer(out);
    const conv = j === undefined ? undefined : editor.steps[j];
    if (conv?.node.opType !== 'Conv' || conv.inputs[0] !== out) return;
    const p = conv.params as ConvParams;
    const stats = bn.inputs.slice(1, 5).map((n) => editor.constants.get(n));
    const weight = editor.constants.get(conv.inputs[1]!);
    const convBias = conv.inputs[2] ? editor.constants.get(conv.inputs[2]) : undefined;
    if (stats.some((t) => t?.type !== 'float32') || weight?.type !== 'float32' || (conv.inputs[2] && convBias?.type !== 'float32') || p.padValues) return;
    const [s, b, mu, v] = stats.map((t) => t!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const { epsilon } = bn.params as BatchNormParams;
    const c = p.inDims[1];
    const alpha = new Float64Array(c);
    const beta = new Float64Array(c);
    for (let k = 0; k < c; k++) {
      alpha[k] = s[k]! / Math.sqrt(v[k]! + epsilon);
      beta[k] = b[k]! - mu[k]! * alpha[k]!;
    }
    const padded = p.pads.some((x) => x !== 0) && p.padMode !== 'reflect';
    // The pad values are stored as float32: a tiny α (a denormal scale) makes −β/α overflow to ±∞ there even when
    // it is finite in float64, and ∞ times the scaled weight is not the 0 the original conv padded with.
    const padValues = padded ? Float32Array.from(beta, (bt, k) => -bt / alpha[k]!) : undefined;
    if (padValues && (alpha.some((a) => a === 0 || !Number.isFinite(a)) || padValues.some((v) => !Number.isFinite(v)))) return;
    const m = p.outDims[1];
    const cg = c / p.group;
    const mg = m / p.group;
    const taps = p.kernel[0] * p.kernel[1];
    const folded = once(() => {
      const w = weight.data as Float32Array;
      const newW = new Float32Array(w.length);
      const newB = new Float32Array(m);
      const cb = convBias?.data as Float32Array | undefined;
      for (let o = 0; o < m; o++) {
        const g = Math.floor(o / mg);
        let shift = cb ? cb[o]! : 0;
        for (let ci = 0; ci < cg; ci++) {
          const ch = g * cg + ci;
          for (let t = 0; t < taps; t++) {
            const at = (o * cg + ci) * taps + t;
            newW[at] = w[at]! * alpha[ch]!;
            shift += w[at]! * beta[ch]!;
          }
        }
        newB[o] = shift;
      }
      return { newW, newB };
    });
    const base = `${conv.outputs[0]}::bn_before_folded`;
    const wName = editor.addConstant(`${base}_weight`, lazyTensor('float32', weight.dims, () => folded().newW));
    const bName = editor.addConstant(`${base}_bias`, lazyTensor('float32', [m], () => folded().newB));
    const params: ConvParams = padValues ? { ...p, padValues } : p;
    editor.steps[j!] = { ...conv, params, inputs: [bn.inputs[0]!, wName, bName, ...conv.inputs.slice(3)] };
    editor.steps[i] = null;
  });
}

/**
 * Gemm → BatchNormalization over its N features (a BN1d after a fully connected layer, as w600k_r50 ends) becomes
 * one Gemm: B's column n scaled by α[n], C'[n] = (C[n] − mean[n])·α[n] + bias[n]. For y = A·B + C with constant B
 * and C (alpha 1, beta 1), the cases the exporters write.
 */
export function foldBatchNormIntoGemm(editor: GraphEditor): void {
  editor.steps.forEach((gemm, i) => {
    if (!gemm || gemm.node.opType !== 'Gemm') return;
    const p = gemm.params as GemmParams;
    if (p.transA || p.alpha !== 1 || p.beta !== 1 || p.epilogue.kind !== 'none' || p.epilogue.residual) return;
    const out = gemm.outputs[0]!;
    const j = editor.soleConsumer(out);
    const bn = j === undefined ? undefined : editor.steps[j];
    if (bn?.node.opType !== 'BatchNormalization' || bn.inputs[0] !== out || (bn.params as BatchNormParams).channels !== p.n) return;
    const stats = bn.inputs.slice(1, 5).map((n) => editor.constants.get(n));
    const weight = editor.constants.get(gemm.inputs[1]!);
    const cName = gemm.inputs[2];
    const c = cName ? editor.constants.get(cName) : undefined;
    if (stats.some((t) => t?.type !== 'float32') || weight?.type !== 'float32' || (cName && (c?.type !== 'float32' || !perFeature(c.dims, p.n)))) return;
    const { epsilon } = bn.params as BatchNormParams;
    const folded = once(() => {
      const [s, b, mu, v] = stats.map((t) => t!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
      const w = weight.data as Float32Array;
      const newW = new Float32Array(w.length);
      const newC = new Float32Array(p.n);
      const cd = c?.data as Float32Array | undefined;
      for (let n = 0; n < p.n; n++) {
        const a = s[n]! / Math.sqrt(v[n]! + epsilon);
        // B is [N, K] with transB, else [K, N]: feature n is a row, or a column.
        for (let k = 0; k < p.k; k++) {
          const at = p.transB ? n * p.k + k : k * p.n + n;
          newW[at] = w[at]! * a;
        }
        newC[n] = ((cd ? cd[n]! : 0) - mu[n]!) * a + b[n]!;
      }
      return { newW, newC };
    });
    const base = `${bn.outputs[0]}::bn_folded`;
    const wName = editor.addConstant(`${base}_weight`, lazyTensor('float32', weight.dims, () => folded().newW));
    const cNew = editor.addConstant(`${base}_bias`, lazyTensor('float32', [p.n], () => folded().newC));
    editor.steps[i] = null;
    editor.steps[j!] = { ...gemm, params: { ...p, cDims: [p.n] }, inputs: [gemm.inputs[0]!, wName, cNew], outputs: [bn.outputs[0]!], outputTypes: bn.outputTypes };
  });
}

/**
 * BatchNormalization → Flatten → Gemm (w600k_r50's `bn2` before its FC layer) becomes Flatten → Gemm with the
 * normalisation in the weights: feature k of the flattened row is channel ⌊k / (H·W)⌋, so B's row k (column k with
 * transB) scales by α of that channel and C'[n] = C[n] + Σₖ B[k, n]·β. Exact: nothing pads between them.
 */
export function foldBatchNormBeforeGemm(editor: GraphEditor): void {
  editor.steps.forEach((bn, i) => {
    if (!bn || bn.node.opType !== 'BatchNormalization') return;
    const f = editor.soleConsumer(bn.outputs[0]!);
    const flatten = f === undefined ? undefined : editor.steps[f];
    if (flatten?.node.opType !== 'Flatten' || flatten.inputs[0] !== bn.outputs[0]) return;
    const dims = bn.outputTypes[0]!.dims;
    // Flatten to [N, C·H·W]: its output keeps the batch and merges the rest.
    if (flatten.outputTypes[0]!.dims.length !== 2 || flatten.outputTypes[0]!.dims[0] !== dims[0]) return;
    const g = editor.soleConsumer(flatten.outputs[0]!);
    const gemm = g === undefined ? undefined : editor.steps[g];
    if (gemm?.node.opType !== 'Gemm' || gemm.inputs[0] !== flatten.outputs[0]) return;
    const p = gemm.params as GemmParams;
    if (p.transA || p.alpha !== 1 || p.beta !== 1 || p.epilogue.kind !== 'none' || p.epilogue.residual) return;
    const stats = bn.inputs.slice(1, 5).map((n) => editor.constants.get(n));
    const weight = editor.constants.get(gemm.inputs[1]!);
    const cName = gemm.inputs[2];
    const c = cName ? editor.constants.get(cName) : undefined;
    if (stats.some((t) => t?.type !== 'float32') || weight?.type !== 'float32' || (cName && (c?.type !== 'float32' || !perFeature(c.dims, p.n)))) return;
    const { epsilon, channels, plane } = bn.params as BatchNormParams;
    if (channels * plane !== p.k) return;
    const [s, b, mu, v] = stats.map((t) => t!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const alpha = Float64Array.from(s, (sc, ch) => sc / Math.sqrt(v[ch]! + epsilon));
    const beta = Float64Array.from(b, (bb, ch) => bb - mu[ch]! * alpha[ch]!);
    const folded = once(() => {
      const w = weight.data as Float32Array;
      const newW = new Float32Array(w.length);
      const cd = c?.data as Float32Array | undefined;
      const newC = new Float32Array(p.n);
      for (let n = 0; n < p.n; n++) {
        let shift = cd ? cd[n]! : 0;
        for (let k = 0; k < p.k; k++) {
          const ch = Math.floor(k / plane);
          const at = p.transB ? n * p.k + k : k * p.n + n;
          newW[at] = w[at]! * alpha[ch]!;
          shift += w[at]! * beta[ch]!;
        }
        newC[n] = shift;
      }
      return { newW, newC };
    });
    const base = `${gemm.outputs[0]}::bn_before_folded`;
    const wName = editor.addConstant(`${base}_weight`, lazyTensor('float32', weight.dims, () => folded().newW));
    const cNew = editor.addConstant(`${base}_bias`, lazyTensor('float32', [p.n], () => folded().newC));
    editor.steps[i] = null;
    editor.steps[f!] = { ...flatten, inputs: [bn.inputs[0]!, ...flatten.inputs.slice(1)] };
    editor.steps[g!] = { ...gemm, params: { ...p, cDims: [p.n] }, inputs: [gemm.inputs[0]!, wName, cNew] };
  });
}

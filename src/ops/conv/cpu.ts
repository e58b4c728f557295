import type { TensorData } from '../../core/ir.js';
import { applyEpilogueFast } from '../epilogue/cpu-fast.js';
import { simdEpilogue, type SimdEpilogue } from '../epilogue/cpu-simd.js';
import { convSimd } from './cpu-simd.js';
import { convPointwiseBlocked, pointwiseBlockedFits } from './cpu-simd-pointwise.js';
import { conv3x3Simd, conv3x3SimdFits } from './cpu-simd-3x3.js';
import { conv3x3Winograd, winogradSimdFits } from './cpu-simd-winograd.js';
import { depthwiseSimd, depthwiseSimdFits } from './cpu-simd-depthwise.js';
import { im2col } from './cpu-im2col.js';
import { gemmAccumulate } from '../tiled-gemm/cpu.js';
import { simdKernels } from '../wasm/runtime.js';
import { makeOutputTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';
import { convOutputDims, resolveConv, type ConvParams, type StoreStrides } from './params.js';
import { markConstantWeight } from './constant-weights.js';
import { isConstantTensor } from '../kernel/constant-tensors.js';

export const conv: OpModule<ConvParams> = {
  opTypes: ['Conv'],
  resolve(ctx) {
    const params = resolveConv(ctx);
    return { params, outputs: [{ type: 'float32', dims: convOutputDims(params) }] };
  },
  cpu(params, inputs, outputs) {
    // Every path writes each output element (the JS paths start from the bias, the scatter is a permutation).
    const out = makeOutputTensor('float32', outputs[0]!.dims);
    // Reflect pads and pad values: the fast paths take zero pads only, so the CPU pads the input once and convolves that.
    const [p, x] = params.padMode === 'reflect' || params.padValues ? padded(params, inputs[0]!) : [params, inputs[0]!];
    const y = params.storeStrides ? new Float32Array(out.data.length) : out.data as Float32Array;
    const plane = params.outDims[2] * params.outDims[3];
    const fused = convCpu(p, x, inputs[1]!, inputs[2], y, simdEpilogue(params.epilogue, params.outDims[1], plane, y.length, inputs[3]));
    if (!fused) applyEpilogueFast(params.epilogue, y, params.outDims[1], params.outDims[2] * params.outDims[3], inputs[3]);
    if (params.storeStrides) scatter(params, params.storeStrides, y, out.data as Float32Array);
    return [out];
  },
};

/** Copies the NCHW result `y` to `out` at the store strides' positions. */
function scatter(p: ConvParams, st: StoreStrides, y: Float32Array, out: Float32Array): void {
  const [n, m, ho, wo] = p.outDims;
  const hw = ho * wo;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < m; ch++) {
      const src = (b * m + ch) * hw;
      const dst = b * st.batch + ch * st.channel;
      for (let q = 0; q < hw; q++) out[dst + q * st.pixel] = y[src + q]!;
    }
  }
}

/**
 * Raw convolution plus bias into `y` (NCHW). With a SIMD epilogue, a SIMD path also applies it (the residual and
 * Relu/Clip/PRelu) before storing its result; returns whether it did, so the caller applies the epilogue otherwise.
 */
export function convCpu(p: ConvParams, xT: TensorData, wT: TensorData, bT: TensorData | undefined, y: Float32Array, epi?: SimdEpilogue): boolean {
  const x = xT.data as Float32Array;
  const weights = wT.data as Float32Array;
  // Only a plan constant's kernel layout is kept between runs (constant-weights.ts).
  if (isConstantTensor(wT)) markConstantWeight(weights);
  const bias = bT?.data as Float32Array | undefined;
  const [n, c, h, w] = p.inDims;
  const [, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const hw = ho * wo;
  const cg = c / p.group;
  const mg = m / p.group;
  const isDepthwise = p.group === c && mg === 1 && cg === 1;
  const kernels = simdKernels();
  if (kernels && isDepthwise && depthwiseSimdFits(p)) {
    depthwiseSimd(kernels, p, x, weights, bias, y, epi);
    return epi !== undefined;
  }
  if (kernels && winogradSimdFits(p)) {
    conv3x3Winograd(kernels, p, x, weights, bias, y, epi);
    return epi !== undefined;
  }
  if (kernels && conv3x3SimdFits(p)) {
    conv3x3Simd(kernels, p, x, weights, bias, y, epi);
    return epi !== undefined;
  }
  // With threads the whole-plane GEMM splits over the threads in one section; the blocked path's per-block copies run on
  // this thread alone. Both make the same sums in the same order.
  if (kernels && kernels.threads() === 1 && pointwiseBlockedFits(p)) {
    convPointwiseBlocked(kernels, p, x, weights, bias, y, epi);
    return epi !== undefined;
  }
  if (kernels && !isDepthwise) {
    convSimd(kernels, p, x, weights, bias, y, epi);
    return epi !== undefined;
  }
  for (let b = 0; b < n; b++) for (let o = 0; o < m; o++) y.fill(bias ? bias[o]! : 0, (b * m + o) * hw, (b * m + o + 1) * hw);
  if (isDepthwise) {
    depthwise(p, x, weights, y);
    return false;
  }
  const k = cg * kh * kw;
  const pointwise = kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && p.pads[2] === 0 && p.pads[3] === 0;
  const col = pointwise ? null : new Float32Array(k * hw);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < p.group; g++) {
      const xOffset = (b * c + g * cg) * h * w;
      if (col) im2col(x, xOffset, cg, h, w, kh, kw, sh, sw, dh, dw, pt, pl, ho, wo, col, 0, hw);
      gemmAccumulate(
        weights, g * mg * k, k,
        col ?? x, col ? 0 : xOffset, hw,
        y, (b * m + g * mg) * hw, hw,
        mg, hw, k,
      );
    }
  }
  return false;
}

function depthwise(p: ConvParams, x: Float32Array, weights: Float32Array, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const plane = (b * c + ch) * h * w;
      const outPlane = (b * c + ch) * ho * wo;
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) {
          const wv = weights[(ch * kh + ky) * kw + kx]!;
          const dx = kx * dw - pl;
          const oxStart = Math.max(0, Math.ceil(-dx / sw));
          const oxEnd = Math.min(wo, Math.floor((w - 1 - dx) / sw) + 1);
          for (let oy = 0; oy < ho; oy++) {
            const iy = oy * sh + ky * dh - pt;
            if (iy < 0 || iy >= h) continue;
            const src = plane + iy * w + dx;
            const dst = outPlane + oy * wo;
            for (let ox = oxStart; ox < oxEnd; ox++) y[dst + ox] += wv * x[src + ox * sw]!;
          }
        }
      }
    }
  }
}

/**
 * The input with its pads filled (by reflection, the border row or column itself not repeated, or with each
 * channel's pad value), and params without pads.
 */
function padded(p: ConvParams, x: TensorData): [ConvParams, TensorData] {
  const [n, c, h, w] = p.inDims;
  const [pt, pl, pb, pr] = p.pads;
  const hp = h + pt + pb;
  const wp = w + pl + pr;
  const src = x.data as Float32Array;
  const dst = new Float32Array(n * c * hp * wp);
  const mirror = (i: number, size: number): number => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i);
  for (let plane = 0; plane < n * c; plane++) {
    if (p.padMode !== 'reflect') {
      dst.fill(p.padValues?.[plane % c] ?? 0, plane * hp * wp, (plane + 1) * hp * wp);
      for (let y = 0; y < h; y++) dst.set(src.subarray((plane * h + y) * w, (plane * h + y + 1) * w), (plane * hp + y + pt) * wp + pl);
      continue;
    }
    for (let y = 0; y < hp; y++) {
      const row = plane * h * w + mirror(y - pt, h) * w;
      const out = (plane * hp + y) * wp;
      for (let xo = 0; xo < wp; xo++) dst[out + xo] = src[row + mirror(xo - pl, w)]!;
    }
  }
  const { padMode, padValues, ...zeroPadded } = p;
  void padMode;
  void padValues;
  return [{ ...zeroPadded, inDims: [n, c, hp, wp], pads: [0, 0, 0, 0] }, { type: 'float32', dims: p.rank === 4 ? [n, c, hp, wp] : [n, c, wp], data: dst }];
}

import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel, type Node } from '../../core/ir.js';
import { attrInt, attrInts, attrString } from '../kernel/attributes.js';
import type { ResolveContext } from '../kernel/op-module.js';
import type { Epilogue } from '../epilogue/params.js';

/**
 * 2-D convolution (1-D is treated as H = 1). Inputs: X, W, optional B, and — after fusion — an optional
 * residual tensor added before the activation: y = act(conv(X, W) + B + residual).
 */
export interface ConvParams {
  readonly group: number;
  readonly kernel: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** top, left, bottom, right */
  readonly pads: readonly [number, number, number, number];
  /**
   * 'reflect': the pads mirror the input (an ONNX Pad in reflect mode folded in by graph/fold-reflect-pad.ts, so
   * no padded copy is written); absent: zeros, as ONNX Conv pads.
   */
  readonly padMode?: 'reflect';
  /**
   * With zero-mode pads: the value each input channel's pads hold instead of 0 (a BatchNormalization before the
   * conv folded in by graph/fold-batch-norm.ts holds −β/α there, which the normalisation maps to the 0 the
   * original conv padded with).
   */
  readonly padValues?: Float32Array;
  /**
   * Where output element (image b, channel ch, pixel p of the ho·wo plane) is stored: b·batch + ch·channel +
   * p·pixel. Absent: NCHW. A Transpose after the conv that keeps the pixel axes together, in order (SCRFD's heads:
   * NCHW → H·W·N·C), joins it this way (graph/fuse-transpose-into-conv.ts), so the conv writes the permuted layout
   * and the Transpose's dispatch goes. The residual is still read in NCHW order.
   */
  readonly storeStrides?: StoreStrides;
  readonly inDims: readonly [number, number, number, number];
  readonly outDims: readonly [number, number, number, number];
  /** Rank of the original tensors (3 for Conv1d, 4 for Conv2d). */
  readonly rank: number;
  readonly epilogue: Epilogue;
}

/** Strides of a conv's output store (see ConvParams.storeStrides). */
export interface StoreStrides {
  readonly batch: number;
  readonly channel: number;
  readonly pixel: number;
}

/** The NCHW strides: what a conv without storeStrides stores with. */
export function nchwStoreStrides(p: ConvParams): StoreStrides {
  const plane = p.outDims[2] * p.outDims[3];
  return { batch: p.outDims[1] * plane, channel: plane, pixel: 1 };
}

function fail(node: Node, why: string): never {
  throw new GraphError(why, nodeLabel(node), node.opType);
}

/** Shared by Conv and the pooling ops: resolves kernel/stride/pad/dilation attributes into 2-D form. */
export function resolveWindow(node: Node, spatial: readonly number[], kernelShape: readonly number[]): {
  kernel: [number, number]; strides: [number, number]; dilations: [number, number]; pads: [number, number, number, number]; out: [number, number];
} {
  const r = spatial.length;
  if (r < 1 || r > 2) throw new UnsupportedOpError(node.opType, nodeLabel(node), `${r}-D windows (only 1-D and 2-D)`);
  const lift = (v: readonly number[], fill: number): [number, number] => (r === 1 ? [fill, v[0]!] : [v[0]!, v[1]!]);
  const kernel = lift(kernelShape, 1);
  const strides = lift(attrInts(node, 'strides') ?? new Array<number>(r).fill(1), 1);
  const dilations = lift(attrInts(node, 'dilations') ?? new Array<number>(r).fill(1), 1);
  const [h, w] = lift(spatial, 1);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  let pads: [number, number, number, number];
  if (kernel.some((k) => !(k >= 1)) || strides.some((s) => !(s >= 1)) || dilations.some((d) => !(d >= 1))) {
    fail(node, `invalid kernel ${JSON.stringify(kernelShape)}, strides or dilations`);
  }
  const sizes = [h, w];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const p = [0, 0, 0, 0] as [number, number, number, number];
    for (let a = 0; a < 2; a++) {
      const out = Math.ceil(sizes[a]! / strides[a]!);
      const total = Math.max(0, (out - 1) * strides[a]! + (kernel[a]! - 1) * dilations[a]! + 1 - sizes[a]!);
      const small = Math.floor(total / 2);
      p[a] = autoPad === 'SAME_UPPER' ? small : total - small;
      p[a + 2] = total - p[a]!;
    }
    pads = p;
  } else if (autoPad === 'VALID') {
    pads = [0, 0, 0, 0];
  } else if (autoPad === 'NOTSET') {
    const raw = attrInts(node, 'pads') ?? new Array<number>(2 * r).fill(0);
    if (raw.length !== 2 * r || raw.some((p) => p < 0)) fail(node, `invalid pads ${JSON.stringify(raw)}`);
    pads = r === 1 ? [0, raw[0]!, 0, raw[1]!] : [raw[0]!, raw[1]!, raw[2]!, raw[3]!];
  } else {
    fail(node, `unknown auto_pad '${autoPad}'`);
  }
  const outSize = (a: number): number => {
    const span = sizes[a]! + pads[a]! + pads[a + 2]! - ((kernel[a]! - 1) * dilations[a]! + 1);
    if (span < 0) fail(node, `window larger than padded input (${JSON.stringify(spatial)})`);
    let o = (ceil ? Math.ceil(span / strides[a]!) : Math.floor(span / strides[a]!)) + 1;
    // ceil_mode must not start a window entirely in the right/bottom padding.
    if (ceil && (o - 1) * strides[a]! >= sizes[a]! + pads[a]!) o--;
    return o;
  };
  const out: [number, number] = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER'
    ? [Math.ceil(h / strides[0]), Math.ceil(w / strides[1])]
    : [outSize(0), outSize(1)];
  return { kernel, strides, dilations, pads, out };
}

export function resolveConv(ctx: ResolveContext): ConvParams {
  const { node } = ctx;
  const x = ctx.inputs[0];
  const wt = ctx.inputs[1];
  if (!x || !wt) fail(node, 'needs X and W');
  const rank = x.dims.length;
  if (rank !== 3 && rank !== 4) throw new UnsupportedOpError('Conv', nodeLabel(node), `rank-${rank} input (only 1-D and 2-D convolution)`);
  if (wt.dims.length !== rank) fail(node, `weight rank ${wt.dims.length} differs from input rank ${rank}`);
  const other = [x, wt, ctx.inputs[2]].find((t) => t !== undefined && t.type !== 'float32');
  if (other) throw new UnsupportedOpError('Conv', nodeLabel(node), `type ${other.type}`);
  const group = attrInt(node, 'group', 1);
  const [n, c] = [x.dims[0]!, x.dims[1]!];
  const m = wt.dims[0]!;
  if (group < 1 || c % group !== 0 || m % group !== 0 || wt.dims[1]! * group !== c) {
    fail(node, `group ${group} does not fit input channels ${c} and weight ${JSON.stringify(wt.dims)}`);
  }
  const kernelShape = attrInts(node, 'kernel_shape') ?? wt.dims.slice(2);
  if (kernelShape.some((k, i) => k !== wt.dims[2 + i])) fail(node, `kernel_shape ${JSON.stringify(kernelShape)} differs from weight ${JSON.stringify(wt.dims)}`);
  const b = ctx.inputs[2];
  if (b && (b.dims.length !== 1 || b.dims[0] !== m)) fail(node, `bias shape ${JSON.stringify(b.dims)} should be [${m}]`);
  const win = resolveWindow(node, x.dims.slice(2), kernelShape);
  const h = rank === 4 ? x.dims[2]! : 1;
  const w = x.dims[rank - 1]!;
  return {
    group, kernel: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads,
    inDims: [n, c, h, w], outDims: [n, m, win.out[0], win.out[1]], rank, epilogue: { kind: 'none' },
  };
}

export function convOutputDims(p: ConvParams): number[] {
  const [n, m, ho, wo] = p.outDims;
  return p.rank === 4 ? [n, m, ho, wo] : [n, m, wo];
}

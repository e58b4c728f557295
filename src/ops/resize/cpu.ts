import { GraphError, UnsupportedOpError } from '../../core/errors.js';
import { elementCount, nodeLabel, toNumbers, type Node, type TensorData } from '../../core/ir.js';
import { attrFloats, attrInt, attrString, refuseRemovedAttributes } from '../kernel/attributes.js';
import { makeTensor, stridesOf } from '../kernel/tensor-util.js';
import type { OpModule, ResolveContext } from '../kernel/op-module.js';

export type CoordinateMode = 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_half_pixel_for_nearest';
export type NearestMode = 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil';

/** Resize (and the older Upsample) for nearest and (bi)linear modes, from scales or sizes. */
export interface ResizeParams {
  readonly mode: 'nearest' | 'linear';
  readonly coordinateMode: CoordinateMode;
  readonly nearestMode: NearestMode;
  readonly inDims: readonly number[];
  readonly outDims: readonly number[];
  readonly scales: readonly number[];
}

const COORDINATE_MODES = new Set(['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nearest']);
const NEAREST_MODES = new Set(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']);

function unsupported(node: Node, why: string): never {
  throw new UnsupportedOpError(node.opType, nodeLabel(node), why);
}

function optionalConstant(ctx: ResolveContext, i: number, what: string): TensorData | undefined {
  if (!ctx.node.inputs[i]) return undefined;
  const c = ctx.constants[i];
  if (!c) unsupported(ctx.node, `${what} must be known at load time`);
  return elementCount(c.dims) === 0 ? undefined : c;
}

export const resize: OpModule<ResizeParams> = {
  opTypes: ['Resize', 'Upsample'],
  resolve(ctx) {
    const { node } = ctx;
    const x = ctx.inputs[0]!;
    if (x.type !== 'float32') unsupported(node, `type ${x.type}`);
    const rank = x.dims.length;
    const rawMode = attrString(node, 'mode', 'nearest');
    const mode = rawMode === 'bilinear' ? 'linear' : rawMode;
    if (mode !== 'nearest' && mode !== 'linear') unsupported(node, `mode '${rawMode}'`);
    const isUpsample = node.opType === 'Upsample' || ctx.opset < 11;
    const rawCoordinateMode = isUpsample ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
    // Opset 11 spelled tf_half_pixel_for_nearest as tf_half_pixel_for_nn (renamed in opset 13, same formula).
    const coordinateMode = (rawCoordinateMode === 'tf_half_pixel_for_nn' ? 'tf_half_pixel_for_nearest' : rawCoordinateMode) as CoordinateMode;
    if (!COORDINATE_MODES.has(coordinateMode)) unsupported(node, `coordinate_transformation_mode '${coordinateMode}'`);
    const nearestMode = (isUpsample ? 'floor' : attrString(node, 'nearest_mode', 'round_prefer_floor')) as NearestMode;
    if (!NEAREST_MODES.has(nearestMode)) unsupported(node, `nearest_mode '${nearestMode}'`);
    if (attrInt(node, 'antialias', 0) !== 0) unsupported(node, 'antialias');
    if (node.attributes.has('axes')) unsupported(node, 'the axes attribute');
    const policy = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
    if (policy !== 'stretch') unsupported(node, `keep_aspect_ratio_policy '${policy}'`);

    let scales: number[] | undefined;
    let sizes: number[] | undefined;
    if (node.opType === 'Upsample' && ctx.opset < 9) {
      scales = [...(attrFloats(node, 'scales') ?? [])];
    } else if (ctx.opset < 11) {
      if (node.opType === 'Upsample') refuseRemovedAttributes(node, ctx.opset, 9, ['scales']);
      scales = toNumbers(optionalConstant(ctx, 1, 'scales') ?? unsupported(node, 'scales are required'));
    } else {
      const s = optionalConstant(ctx, 2, 'scales');
      const z = optionalConstant(ctx, 3, 'sizes');
      if (s && z) throw new GraphError('both scales and sizes are given', nodeLabel(node), node.opType);
      if (s) scales = toNumbers(s);
      if (z) sizes = toNumbers(z);
      if (!s && !z) throw new GraphError('neither scales nor sizes are given', nodeLabel(node), node.opType);
    }
    let outDims: number[];
    if (sizes) {
      if (sizes.length !== rank) throw new GraphError(`sizes ${JSON.stringify(sizes)} do not match rank ${rank}`, nodeLabel(node), node.opType);
      outDims = sizes;
      scales = sizes.map((s, i) => s / x.dims[i]!);
    } else {
      if (scales!.length !== rank) throw new GraphError(`scales ${JSON.stringify(scales)} do not match rank ${rank}`, nodeLabel(node), node.opType);
      if (scales!.some((s) => !(s > 0))) throw new GraphError(`invalid scales ${JSON.stringify(scales)}`, nodeLabel(node), node.opType);
      outDims = x.dims.map((d, i) => Math.floor(d * scales![i]!));
    }
    if (outDims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new GraphError(`invalid output size ${JSON.stringify(outDims)}`, nodeLabel(node), node.opType);
    if (mode === 'linear') {
      const resized = x.dims.map((d, i) => d !== outDims[i] || scales![i] !== 1).map((r, i) => (r ? i : -1)).filter((i) => i >= 0);
      if (resized.some((i) => i < rank - 2)) unsupported(node, 'linear resize of axes other than the last two');
    }
    return {
      params: { mode, coordinateMode, nearestMode, inDims: x.dims, outDims, scales: scales! },
      outputs: [{ type: 'float32', dims: outDims }],
    };
  },
  cpu(p, inputs, outputs) {
    const x = inputs[0]!.data as Float32Array;
    const out = makeTensor('float32', outputs[0]!.dims);
    const y = out.data as Float32Array;
    const rank = p.inDims.length;
    if (y.length === 0) return [out];
    const inStrides = stridesOf(p.inDims);
    if (p.mode === 'nearest') {
      const maps = p.outDims.map((o, a) => {
        const m = new Int32Array(o);
        for (let i = 0; i < o; i++) m[i] = nearestIndex(nearestSourceCoordinate(p, a, i), p.nearestMode, p.inDims[a]!) * inStrides[a]!;
        return m;
      });
      const counter = new Array<number>(rank).fill(0);
      for (let i = 0; i < y.length; i++) {
        let offset = 0;
        for (let a = 0; a < rank; a++) offset += maps[a]![counter[a]!]!;
        y[i] = x[offset]!;
        for (let a = rank - 1; a >= 0; a--) {
          if (++counter[a]! < p.outDims[a]!) break;
          counter[a] = 0;
        }
      }
      return [out];
    }
    // Bilinear over the last two axes; leading axes are unchanged planes.
    const h = rank >= 2 ? p.inDims[rank - 2]! : 1;
    const w = p.inDims[rank - 1]!;
    const ho = rank >= 2 ? p.outDims[rank - 2]! : 1;
    const wo = p.outDims[rank - 1]!;
    const taps = (axis: number, count: number, size: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } => {
      const i0 = new Int32Array(count); const i1 = new Int32Array(count); const f = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        let s = axis < 0 ? 0 : sourceCoordinate(p, axis, i);
        s = Math.min(Math.max(s, 0), size - 1);
        const lo = Math.floor(s);
        i0[i] = lo; i1[i] = Math.min(lo + 1, size - 1); f[i] = s - lo;
      }
      return { i0, i1, f };
    };
    const ty = taps(rank >= 2 ? rank - 2 : -1, ho, h);
    const tx = taps(rank - 1, wo, w);
    const planes = y.length / (ho * wo);
    for (let pl = 0; pl < planes; pl++) {
      const src = pl * h * w;
      const dst = pl * ho * wo;
      for (let oy = 0; oy < ho; oy++) {
        const r0 = src + ty.i0[oy]! * w; const r1 = src + ty.i1[oy]! * w; const fy = ty.f[oy]!;
        for (let ox = 0; ox < wo; ox++) {
          const c0 = tx.i0[ox]!; const c1 = tx.i1[ox]!; const fx = tx.f[ox]!;
          const top = x[r0 + c0]! * (1 - fx) + x[r0 + c1]! * fx;
          const bottom = x[r1 + c0]! * (1 - fx) + x[r1 + c1]! * fx;
          y[dst + oy * wo + ox] = top * (1 - fy) + bottom * fy;
        }
      }
    }
    return [out];
  },
};

/** Maps an output coordinate to the input along one axis, per coordinate_transformation_mode. */
export function sourceCoordinate(p: ResizeParams, axis: number, i: number): number {
  const scale = p.scales[axis]!;
  const inSize = p.inDims[axis]!;
  const outSize = p.outDims[axis]!;
  switch (p.coordinateMode) {
    case 'half_pixel': return (i + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outSize > 1 ? (i + 0.5) / scale - 0.5 : 0;
    case 'align_corners': {
      // ONNX measures the resized length as inSize·scale, unrounded (= outSize when sizes were given).
      const resized = inSize * scale;
      return outSize === 1 || resized === 1 ? 0 : (i * (inSize - 1)) / (resized - 1);
    }
    case 'asymmetric': return i / scale;
    case 'tf_half_pixel_for_nearest': return (i + 0.5) / scale;
  }
}

/**
 * The source coordinate a nearest Resize rounds, in float32 arithmetic as onnxruntime computes it (each step rounded
 * to float32, the scale included), and align_corners over the output length as onnxruntime measures it. Rounding
 * picks a side at an exact .5, and float64 can land just off it: with a 0.6 scale, (1 + 0.5) / 0.6 is 2.4999999 in
 * float64, so round_prefer_ceil read input 2 where onnxruntime reads 3. Linear weights keep sourceCoordinate's
 * float64 (their difference is far inside the fp32 bound).
 */
export function nearestSourceCoordinate(p: ResizeParams, axis: number, i: number): number {
  const f = Math.fround;
  const scale = f(p.scales[axis]!);
  const inSize = p.inDims[axis]!;
  const outSize = p.outDims[axis]!;
  // onnxruntime maps an axis of scale 1 one to one (rank 2 and up), with no coordinate transform: under
  // tf_half_pixel_for_nearest with ceil the transform would read pixel i + 1.
  if (scale === 1 && p.inDims.length > 1 && inSize === outSize) return i;
  // onnxruntime's coordinates come out as if multiplied by the float32 reciprocal of the scale (a 0.6 scale gives
  // 2.5 at i = 1 under tf_half_pixel_for_nearest, and round_prefer_ceil reads pixel 3).
  // When the scale is the sizes' ratio (sizes given, or a scale that lands on whole sizes) that reciprocal is the
  // inverse ratio itself: 7→4 gives 1.75, where 1 / f32(4/7) rounds to 1.7499999 and i = 2 would fall below 3.5.
  const inverse = f(outSize / inSize) === scale ? f(inSize / outSize) : f(1 / scale);
  switch (p.coordinateMode) {
    case 'half_pixel': return f(f(f(i + 0.5) * inverse) - 0.5);
    case 'pytorch_half_pixel': return outSize > 1 ? f(f(f(i + 0.5) * inverse) - 0.5) : 0;
    case 'align_corners': return outSize === 1 ? 0 : f(f(i * (inSize - 1)) / (outSize - 1));
    case 'asymmetric': return f(i * inverse);
    case 'tf_half_pixel_for_nearest': return f(f(i + 0.5) * inverse);
  }
}

export function nearestIndex(s: number, mode: NearestMode, size: number): number {
  let i: number;
  switch (mode) {
    case 'floor': i = Math.floor(s); break;
    case 'ceil': i = Math.ceil(s); break;
    case 'round_prefer_ceil': i = Math.round(s); break;
    case 'round_prefer_floor': i = s === Math.floor(s) + 0.5 ? Math.floor(s) : Math.round(s); break;
  }
  // Rounding can land one past the edge; ONNX clamps.
  return Math.min(Math.max(i, 0), size - 1);
}


/**
 * For a nearest Resize of an N×C×H×W tensor that keeps N and C: the integer factors [fy, fx] when output pixel (y, x)
 * reads input pixel (⌊y / fy⌋, ⌊x / fx⌋) for every output coordinate, under the op's own coordinate and rounding
 * rules (checked coordinate by coordinate, so sizes that are not exact multiples, such as 39 from 20, qualify
 * only where the mapping really is that one); undefined otherwise.
 */
export function nearestUpsampleFactors(p: ResizeParams): [number, number] | undefined {
  if (p.mode !== 'nearest' || p.inDims.length !== 4) return undefined;
  const mapsBy = (axis: number, factor: number): boolean => {
    for (let i = 0; i < p.outDims[axis]!; i++) {
      if (nearestIndex(nearestSourceCoordinate(p, axis, i), p.nearestMode, p.inDims[axis]!) !== Math.floor(i / factor)) return false;
    }
    return true;
  };
  if (p.outDims[0] !== p.inDims[0] || p.outDims[1] !== p.inDims[1] || !mapsBy(0, 1) || !mapsBy(1, 1)) return undefined;
  const factors = [2, 3].map((a) => Math.max(1, Math.round(p.outDims[a]! / p.inDims[a]!)));
  return mapsBy(2, factors[0]!) && mapsBy(3, factors[1]!) ? [factors[0]!, factors[1]!] : undefined;
}

import { UnsupportedOpError } from '../../core/errors.js';
import { nodeLabel } from '../../core/ir.js';
import { makeTensor } from '../kernel/tensor-util.js';
import type { OpModule } from '../kernel/op-module.js';

export type MathKind = 'Erf' | 'Sign' | 'Round';

export interface MathParams {
  readonly kind: MathKind;
}

/**
 * The coefficients of Abramowitz & Stegun 7.1.26: erf(x) ≈ 1 − t·(a1 + t·(a2 + …)) · exp(−x²), t = 1 / (1 + p·|x|),
 * odd in x; its stated error bound is 1.5e-7 (tests/ops/math.test.ts measures it against a series reference). WGSL
 * has no erf, so the kernel evaluates the same formula in f32.
 */
export const ERF_P = 0.3275911;
export const ERF_A: readonly number[] = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const t = 1 / (1 + ERF_P * ax);
  const poly = t * (ERF_A[0]! + t * (ERF_A[1]! + t * (ERF_A[2]! + t * (ERF_A[3]! + t * ERF_A[4]!))));
  const y = 1 - poly * Math.exp(-ax * ax);
  return x < 0 ? -y : y;
}

/** Round half to even, as ONNX's Round (and numpy.round) does: 2.5 → 2, 3.5 → 4, −2.5 → −2. */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  // Math.round rounds halves up; a half whose rounding is odd goes down to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 && x < 0 ? -0 : r;
}

const sign = (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : 0);

const FLOATS: ReadonlySet<string> = new Set(['float32', 'float64']);

export const math: OpModule<MathParams> = {
  opTypes: ['Erf', 'Sign', 'Round'],
  resolve(ctx) {
    const x = ctx.inputs[0]!;
    if (!FLOATS.has(x.type)) throw new UnsupportedOpError(ctx.node.opType, nodeLabel(ctx.node), `type ${x.type}`);
    return { params: { kind: ctx.node.opType as MathKind }, outputs: [{ type: x.type, dims: x.dims }] };
  },
  cpu(p, inputs, outputs) {
    const src = inputs[0]!.data as ArrayLike<number>;
    const out = makeTensor(outputs[0]!.type, outputs[0]!.dims);
    const dst = out.data as unknown as { [i: number]: number };
    const f = p.kind === 'Erf' ? erf : p.kind === 'Sign' ? sign : roundHalfEven;
    for (let i = 0; i < src.length; i++) dst[i] = f(src[i]!);
    return [out];
  },
};

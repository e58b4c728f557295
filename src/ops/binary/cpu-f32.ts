/**
 * The float32 hot path of the element-wise binary ops. The generic path maps every output element through a
 * broadcast index array built per call; here the shapes are collapsed to the fewest dimensions over which both
 * operands stay regular, and each innermost row is one tight loop with the op chosen outside it (so V8 keeps the
 * loop monomorphic); Add, Sub, Mul and Div rows of 16 or more run on WebAssembly SIMD. Results are bit-identical to
 * the generic path: the same single fp32 operation per element (JS's double result of two float32 operands rounds
 * to the same float32 as the single-precision operation).
 */
import { simdKernels, type BinaryKernel } from '../wasm/runtime.js';
import { SIMD_BINARY_KINDS, type SimdBinaryKind } from '../wasm/binary.js';

export type F32BinaryKind = 'Add' | 'Sub' | 'Mul' | 'Div' | 'PRelu' | 'Max' | 'Min';

/** Rows shorter than this stay in JS: a WebAssembly call per row would cost more than it saves. */
const SIMD_MIN_ROW = 16;
const SIMD_KINDS = new Set<string>(SIMD_BINARY_KINDS);

const KINDS = new Set<string>(['Add', 'Sub', 'Mul', 'Div', 'PRelu', 'Max', 'Min']);

export function isF32BinaryKind(kind: string): kind is F32BinaryKind {
  return KINDS.has(kind);
}

/** Strides of `dims` right-aligned to `outDims`, 0 along broadcast axes. */
function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const rank = outDims.length;
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    const o = rank - dims.length + i;
    strides[o] = dims[i] === 1 ? 0 : s;
    s *= dims[i]!;
  }
  return strides;
}

interface Collapsed { readonly dims: number[]; readonly a: number[]; readonly b: number[] }

/** Merges adjacent axes along which both operands advance regularly (outermost first in the result). */
function collapse(outDims: readonly number[], sa: readonly number[], sb: readonly number[]): Collapsed {
  const dims: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = outDims.length - 1; i >= 0; i--) {
    const d = outDims[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && sa[i] === a[last]! * dims[last]! && sb[i] === b[last]! * dims[last]!) {
      dims[last] = dims[last]! * d;
    } else {
      dims.push(d); a.push(sa[i]!); b.push(sb[i]!);
    }
  }
  if (dims.length === 0) { dims.push(1); a.push(0); b.push(0); }
  return { dims: dims.reverse(), a: a.reverse(), b: b.reverse() };
}

function row(kind: F32BinaryKind, out: Float32Array, o: number, x: Float32Array, xo: number, xs: number, y: Float32Array, yo: number, ys: number, n: number): void {
  switch (kind) {
    case 'Add': for (let i = 0; i < n; i++) out[o + i] = x[xo + i * xs]! + y[yo + i * ys]!; return;
    case 'Sub': for (let i = 0; i < n; i++) out[o + i] = x[xo + i * xs]! - y[yo + i * ys]!; return;
    case 'Mul': for (let i = 0; i < n; i++) out[o + i] = x[xo + i * xs]! * y[yo + i * ys]!; return;
    case 'Div': for (let i = 0; i < n; i++) out[o + i] = x[xo + i * xs]! / y[yo + i * ys]!; return;
    case 'PRelu': for (let i = 0; i < n; i++) { const v = x[xo + i * xs]!; out[o + i] = v < 0 ? v * y[yo + i * ys]! : v; } return;
    case 'Max': for (let i = 0; i < n; i++) { const u = x[xo + i * xs]!; const v = y[yo + i * ys]!; out[o + i] = u >= v || Number.isNaN(u) ? u : v; } return;
    case 'Min': for (let i = 0; i < n; i++) { const u = x[xo + i * xs]!; const v = y[yo + i * ys]!; out[o + i] = u <= v || Number.isNaN(u) ? u : v; } return;
  }
}

/** out = x ∘ y with numpy broadcasting of x (dims xDims) and y (dims yDims) to outDims. `out` may alias x when shapes match. */
export function binaryF32(
  kind: F32BinaryKind, x: Float32Array, xDims: readonly number[], y: Float32Array, yDims: readonly number[],
  outDims: readonly number[], out: Float32Array,
): void {
  const c = collapse(outDims, broadcastStrides(xDims, outDims), broadcastStrides(yDims, outDims));
  const rank = c.dims.length;
  const n = c.dims[rank - 1]!;
  const xs = c.a[rank - 1]!;
  const ys = c.b[rank - 1]!;
  const rows = out.length / n;
  const kernels = simdKernels();
  const simd = kernels !== null && SIMD_KINDS.has(kind) && n >= SIMD_MIN_ROW && xs <= 1 && ys <= 1 && xs + ys > 0;
  // The SIMD path works on arena copies of both operands (so `out` aliasing x is harmless): [x][y][out], each
  // with a v128 of slack, since a row's last vector may read and write up to three floats past the row's end
  // (into the next row, which is computed afterwards, or into the slack).
  const xOff = 0;
  const yOff = x.length + 4;
  const outOff = yOff + y.length + 4;
  const arena = simd ? kernels.arena(outOff + out.length + 4) : undefined;
  const kernel: BinaryKernel | undefined = simd ? kernels.binary[kind as SimdBinaryKind][xs === 0 ? 'sv' : ys === 0 ? 'vs' : 'vv'] : undefined;
  if (arena) {
    arena.set(x, xOff);
    arena.set(y, yOff);
  }
  const n4 = Math.ceil(n / 4);
  const counter = new Array<number>(rank).fill(0);
  let xo = 0;
  let yo = 0;
  for (let r = 0; r < rows; r++) {
    if (kernel) kernel(4 * (xOff + xo), 4 * (yOff + yo), 4 * (outOff + r * n), n4);
    else row(kind, out, r * n, x, xo, xs, y, yo, ys, n);
    // Advance the odometer over the outer axes.
    for (let ax = rank - 2; ax >= 0; ax--) {
      counter[ax]!++;
      xo += c.a[ax]!;
      yo += c.b[ax]!;
      if (counter[ax]! < c.dims[ax]!) break;
      xo -= c.a[ax]! * c.dims[ax]!;
      yo -= c.b[ax]! * c.dims[ax]!;
      counter[ax] = 0;
    }
  }
  if (arena) out.set(arena.subarray(outOff, outOff + out.length));
}

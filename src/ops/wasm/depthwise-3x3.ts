import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `depthwise3x3s{1,2}(in, rowStride, phaseStride, out, outRowStride, rows, groups, w, bias)`, pointers and strides
 * in bytes: one channel of a 3×3 depthwise convolution, 4 outputs per step, over an input plane that the caller
 * has already zero-padded (so no tap is ever tested against the border). For stride 2 each padded row holds its
 * even columns then its odd columns (`phaseStride` apart), so every tap is a contiguous, unaligned v128 load:
 * tap kx reads phase kx % 2 at column offset ⌊kx/2⌋. The nine weights are splatted once per channel.
 */
export function depthwise3x3Function(stride: 1 | 2): FunctionSpec {
  const [inp, rowStride, phaseStride, out, outRowStride, rows, groups, w, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const phases = stride;
  // i32 locals: row base, output row, row counter, group counter, output pointer, then one pointer per (ky, phase).
  const [rowBase, outRow, oy, g, po] = [9, 10, 11, 12, 13];
  const ptr = (ky: number, q: number): number => 14 + ky * phases + q;
  const i32Count = 5 + 3 * phases;
  const wv = (t: number): number => 9 + i32Count + t;
  const biasV = 9 + i32Count + 9;
  const acc = biasV + 1;
  const locals = [...new Array<ValType>(i32Count).fill(ValType.I32), ...new Array<ValType>(11).fill(ValType.V128)];

  const body: number[] = [];
  for (let t = 0; t < 9; t++) body.push(...op.get(w), ...op.v128Load32Splat(4 * t), ...op.set(wv(t)));
  body.push(...op.get(bias), ...op.v128Load32Splat(0), ...op.set(biasV));
  body.push(...op.get(inp), ...op.set(rowBase), ...op.get(out), ...op.set(outRow), ...op.get(rows), ...op.set(oy));
  body.push(...op.loop());
  for (let ky = 0; ky < 3; ky++) {
    for (let q = 0; q < phases; q++) {
      body.push(...op.get(rowBase));
      if (ky > 0) body.push(...op.get(rowStride), ...op.i32(ky), ...op.i32Mul(), ...op.i32Add());
      if (q > 0) body.push(...op.get(phaseStride), ...op.i32Add());
      body.push(...op.set(ptr(ky, q)));
    }
  }
  body.push(...op.get(outRow), ...op.set(po), ...op.get(groups), ...op.set(g));
  body.push(...op.loop());
  body.push(...op.get(biasV), ...op.set(acc));
  for (let ky = 0; ky < 3; ky++) {
    for (let kx = 0; kx < 3; kx++) {
      body.push(
        ...op.get(acc), ...op.get(wv(ky * 3 + kx)),
        ...op.get(ptr(ky, kx % stride)), ...op.v128Load(4 * Math.floor(kx / stride)),
        ...op.f32x4Mul(), ...op.f32x4Add(), ...op.set(acc),
      );
    }
  }
  body.push(...op.get(po), ...op.get(acc), ...op.v128Store(0));
  for (let ky = 0; ky < 3; ky++) {
    for (let q = 0; q < phases; q++) body.push(...op.get(ptr(ky, q)), ...op.i32(16), ...op.i32Add(), ...op.set(ptr(ky, q)));
  }
  body.push(...op.get(po), ...op.i32(16), ...op.i32Add(), ...op.set(po));
  body.push(...op.get(g), ...op.i32(1), ...op.i32Sub(), ...op.tee(g), ...op.brIf(0), ...op.end());
  body.push(...op.get(rowBase), ...op.get(rowStride), ...op.i32(stride), ...op.i32Mul(), ...op.i32Add(), ...op.set(rowBase));
  body.push(...op.get(outRow), ...op.get(outRowStride), ...op.i32Add(), ...op.set(outRow));
  body.push(...op.get(oy), ...op.i32(1), ...op.i32Sub(), ...op.tee(oy), ...op.brIf(0), ...op.end());
  return { name: `depthwise3x3s${stride}`, params: 9, locals, body };
}

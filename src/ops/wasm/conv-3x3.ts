import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `conv3x3s{1,2}(ap, panelStride, inRow, planeStride, rowStride, phaseStride, cRow, cPlaneStride, panels, strips, cin, bias)`,
 * pointers and strides in bytes: one output row of a dense 3×3 convolution as an implicit GEMM, with no im2col.
 * The input is zero-padded by the caller (for stride 2 each padded row holds its even columns, then its odd
 * columns `phaseStride` later), so the B operand for tap (ky, kx) of an 8-pixel strip is two unaligned v128
 * loads at a static offset from a row pointer. A is packed as 4-output-channel panels of [cin][3][3][4] floats;
 * each 4×8 tile (4 channels × 8 pixels) accumulates over cin·9 taps in eight f32x4 registers, starts from the
 * bias and is stored to C (output channel planes `cPlaneStride` apart). Requires cin ≥ 1.
 */
export function conv3x3Function(stride: 1 | 2): FunctionSpec {
  const [ap, panelStride, inRow, planeStride, rowStride, phaseStride, cRow, cPlaneStride, panels, strips, cin, bias] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [js, ib, pa, pin, cnt, cj, bj, pc, pbias] = [12, 13, 14, 15, 16, 17, 18, 19, 20];
  // Row pointers for ky = 0..2 and phase 0..stride-1.
  const row = (ky: number, q: number): number => 21 + ky * stride + q;
  const i32Count = 9 + 3 * stride;
  const v = 12 + i32Count;
  const acc = (r: number, h: number): number => v + r * 2 + h;
  const [b0, b1, a] = [v + 8, v + 9, v + 10];
  const locals = [...new Array<ValType>(i32Count).fill(ValType.I32), ...new Array<ValType>(11).fill(ValType.V128)];

  const taps: number[] = [];
  for (let ky = 0; ky < 3; ky++) {
    for (let q = 0; q < stride; q++) {
      taps.push(...op.get(pin));
      if (ky > 0) taps.push(...op.get(rowStride), ...op.i32(ky), ...op.i32Mul(), ...op.i32Add());
      if (q > 0) taps.push(...op.get(phaseStride), ...op.i32Add());
      taps.push(...op.set(row(ky, q)));
    }
  }
  for (let ky = 0; ky < 3; ky++) {
    for (let kx = 0; kx < 3; kx++) {
      const ptr = row(ky, kx % stride);
      const off = 4 * Math.floor(kx / stride);
      const t = ky * 3 + kx;
      taps.push(...op.get(ptr), ...op.v128Load(off), ...op.set(b0), ...op.get(ptr), ...op.v128Load(off + 16), ...op.set(b1));
      for (let r = 0; r < 4; r++) {
        taps.push(...op.get(pa), ...op.v128Load32Splat(t * 16 + r * 4), ...op.set(a));
        for (let h = 0; h < 2; h++) {
          taps.push(...op.get(acc(r, h)), ...op.get(a), ...op.get(h === 0 ? b0 : b1), ...op.f32x4Mul(), ...op.f32x4Add(), ...op.set(acc(r, h)));
        }
      }
    }
  }

  const init: number[] = [];
  for (let r = 0; r < 4; r++) {
    init.push(...op.get(pbias), ...op.v128Load32Splat(r * 4), ...op.tee(acc(r, 0)), ...op.set(acc(r, 1)));
  }
  const store: number[] = [...op.get(cj), ...op.set(pc)];
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) store.push(...op.get(pc), ...op.get(acc(r, h)), ...op.v128Store(16 * h));
    if (r < 3) store.push(...op.get(pc), ...op.get(cPlaneStride), ...op.i32Add(), ...op.set(pc));
  }

  const body: number[] = [
    ...op.get(inRow), ...op.set(bj), ...op.get(cRow), ...op.set(cj), ...op.get(strips), ...op.set(js),
    ...op.block(), ...op.loop(),
    ...op.get(js), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(ap), ...op.set(pa), ...op.get(bias), ...op.set(pbias), ...op.get(panels), ...op.set(ib),
    // Reuse cj's value per panel through pc; cj itself advances per panel below and is restored per strip.
    ...op.block(), ...op.loop(),
    ...op.get(ib), ...op.i32Eqz(), ...op.brIf(1),
    ...init,
    ...op.get(bj), ...op.set(pin), ...op.get(cin), ...op.set(cnt),
    ...op.loop(),
    ...taps,
    ...op.get(pa), ...op.i32(144), ...op.i32Add(), ...op.set(pa),
    ...op.get(pin), ...op.get(planeStride), ...op.i32Add(), ...op.set(pin),
    ...op.get(cnt), ...op.i32(1), ...op.i32Sub(), ...op.tee(cnt), ...op.brIf(0),
    ...op.end(),
    ...store,
    // Next panel: A moves on by panelStride from this panel's start (pa has advanced cin·144 bytes).
    ...op.get(pa), ...op.get(cin), ...op.i32(144), ...op.i32Mul(), ...op.i32Sub(), ...op.get(panelStride), ...op.i32Add(), ...op.set(pa),
    ...op.get(pbias), ...op.i32(16), ...op.i32Add(), ...op.set(pbias),
    ...op.get(cj), ...op.get(cPlaneStride), ...op.i32(2), ...op.i32Shl(), ...op.i32Add(), ...op.set(cj),
    ...op.get(ib), ...op.i32(1), ...op.i32Sub(), ...op.set(ib),
    ...op.br(0),
    ...op.end(), ...op.end(),
    // Next strip: 8 pixels on; C back to the first panel of this row.
    ...op.get(bj), ...op.i32(32), ...op.i32Add(), ...op.set(bj),
    ...op.get(cj), ...op.get(cPlaneStride), ...op.i32(2), ...op.i32Shl(), ...op.get(panels), ...op.i32Mul(), ...op.i32Sub(), ...op.i32(32), ...op.i32Add(), ...op.set(cj),
    ...op.get(js), ...op.i32(1), ...op.i32Sub(), ...op.set(js),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
  return { name: `conv3x3s${stride}`, params: 12, locals, body };
}

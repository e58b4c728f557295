import { op, ValType, type FunctionSpec } from './encoder.js';

/**
 * `conv3x3s{1,2}(ap, panelStride, inRow, chStride, rowStride, phaseStride, cRow, cChStride, panels, strips, cin, bias)`,
 * pointers and strides in bytes: one output row of a dense 3×3 convolution as an implicit GEMM, with no im2col.
 * The input is zero-padded by the caller (for stride 2 each padded row holds its even columns, then its odd
 * columns `phaseStride` later), so the B operand for tap (ky, kx) of an 8-pixel strip is two unaligned v128
 * loads at a static offset from one pointer. A is packed as 4-output-channel panels of [3 ky][cin][3 kx][4]
 * floats; each 4×8 tile (4 channels × 8 pixels) starts from the bias, accumulates over three passes (one per
 * kernel row) of cin × 3 taps in eight f32x4 registers, and is stored to C (channel rows `cChStride` apart).
 * The channel loop keeps only four integers live (A and B pointers, counter, channel stride), so they fit in
 * registers beside the eleven v128 values (a row pointer per tap would not). Requires cin ≥ 1. The `Clamp`
 * variants take a 13th argument, `bounds`, and clamp each tile to the two floats there as they store it (pmax then
 * pmin: Relu/Clip, NaN kept).
 */
export function conv3x3Function(stride: 1 | 2, clamped = false): FunctionSpec {
  const [ap, panelStride, inRow, chStride, rowStride, phaseStride, cRow, cChStride, panels, strips, cin, bias, bounds] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const params = clamped ? 13 : 12;
  const [js, ib, pa, pin, cnt, cj, bj, pc, pbias, pin2] = [params, params + 1, params + 2, params + 3, params + 4, params + 5, params + 6, params + 7, params + 8, params + 9];
  const i32Count = 10;
  const v = params + i32Count;
  const acc = (r: number, h: number): number => v + r * 2 + h;
  const [b0, b1, a] = [v + 8, v + 9, v + 10];
  const locals = [...new Array<ValType>(i32Count).fill(ValType.I32), ...new Array<ValType>(11).fill(ValType.V128)];

  // Three taps (kx = 0..2) of one channel and kernel row: B from pin (phase 0) or pin2 (phase 1, stride 2).
  const taps: number[] = [];
  for (let kx = 0; kx < 3; kx++) {
    const ptr = stride === 2 && kx === 1 ? pin2 : pin;
    const off = 4 * Math.floor(kx / stride);
    taps.push(...op.get(ptr), ...op.v128Load(off), ...op.set(b0), ...op.get(ptr), ...op.v128Load(off + 16), ...op.set(b1));
    for (let r = 0; r < 4; r++) {
      taps.push(...op.get(pa), ...op.v128Load32Splat(kx * 16 + r * 4), ...op.set(a));
      for (let h = 0; h < 2; h++) {
        taps.push(...op.get(acc(r, h)), ...op.get(a), ...op.get(h === 0 ? b0 : b1), ...op.f32x4Mul(), ...op.f32x4Add(), ...op.set(acc(r, h)));
      }
    }
  }
  const advance = (local: number, by: number[]): number[] => [...op.get(local), ...by, ...op.i32Add(), ...op.set(local)];
  const channelLoop: number[] = [
    ...op.get(cin), ...op.set(cnt),
    ...op.loop(),
    ...taps,
    ...advance(pa, op.i32(48)),
    ...advance(pin, op.get(chStride)),
    ...(stride === 2 ? advance(pin2, op.get(chStride)) : []),
    ...op.get(cnt), ...op.i32(1), ...op.i32Sub(), ...op.tee(cnt), ...op.brIf(0),
    ...op.end(),
  ];
  const kernelRows: number[] = [];
  for (let ky = 0; ky < 3; ky++) {
    kernelRows.push(...op.get(bj));
    if (ky > 0) kernelRows.push(...op.get(rowStride), ...op.i32(ky), ...op.i32Mul(), ...op.i32Add());
    kernelRows.push(...op.set(pin));
    if (stride === 2) kernelRows.push(...op.get(pin), ...op.get(phaseStride), ...op.i32Add(), ...op.set(pin2));
    kernelRows.push(...channelLoop);
  }

  const init: number[] = [];
  for (let r = 0; r < 4; r++) {
    init.push(...op.get(pbias), ...op.v128Load32Splat(r * 4), ...op.tee(acc(r, 0)), ...op.set(acc(r, 1)));
  }
  // The clamp bounds are loaded per stored tile into b0/b1, which the taps no longer need then.
  const store: number[] = [...op.get(cj), ...op.set(pc)];
  if (clamped) store.push(...op.get(bounds), ...op.v128Load32Splat(0), ...op.set(b0), ...op.get(bounds), ...op.v128Load32Splat(4), ...op.set(b1));
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      store.push(...op.get(pc), ...op.get(acc(r, h)));
      if (clamped) store.push(...op.get(b0), ...op.f32x4Pmax(), ...op.get(b1), ...op.f32x4Pmin());
      store.push(...op.v128Store(16 * h));
    }
    if (r < 3) store.push(...advance(pc, op.get(cChStride)));
  }

  const body: number[] = [
    ...op.get(inRow), ...op.set(bj), ...op.get(cRow), ...op.set(cj), ...op.get(strips), ...op.set(js),
    ...op.block(), ...op.loop(),
    ...op.get(js), ...op.i32Eqz(), ...op.brIf(1),
    ...op.get(ap), ...op.set(pa), ...op.get(bias), ...op.set(pbias), ...op.get(panels), ...op.set(ib),
    ...op.block(), ...op.loop(),
    ...op.get(ib), ...op.i32Eqz(), ...op.brIf(1),
    ...init,
    ...kernelRows,
    ...store,
    // Next panel: A moves on by panelStride from this panel's start (pa has advanced cin·144 bytes).
    ...op.get(pa), ...op.get(cin), ...op.i32(144), ...op.i32Mul(), ...op.i32Sub(), ...op.get(panelStride), ...op.i32Add(), ...op.set(pa),
    ...advance(pbias, op.i32(16)),
    ...op.get(cj), ...op.get(cChStride), ...op.i32(2), ...op.i32Shl(), ...op.i32Add(), ...op.set(cj),
    ...op.get(ib), ...op.i32(1), ...op.i32Sub(), ...op.set(ib),
    ...op.br(0),
    ...op.end(), ...op.end(),
    // Next strip: 8 pixels on; C back to the first panel of this row.
    ...advance(bj, op.i32(32)),
    ...op.get(cj), ...op.get(cChStride), ...op.i32(2), ...op.i32Shl(), ...op.get(panels), ...op.i32Mul(), ...op.i32Sub(), ...op.i32(32), ...op.i32Add(), ...op.set(cj),
    ...op.get(js), ...op.i32(1), ...op.i32Sub(), ...op.set(js),
    ...op.br(0),
    ...op.end(), ...op.end(),
  ];
  return { name: clamped ? `conv3x3s${stride}Clamp` : `conv3x3s${stride}`, params, locals, body };
}

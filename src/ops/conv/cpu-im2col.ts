/**
 * Unfolds one group's input planes into a (cg·kh·kw) × (ho·wo) matrix whose rows are `ld` floats apart,
 * starting at `colOffset`, so a convolution becomes one GEMM. `ld ≥ ho·wo` lets the SIMD path pad rows
 * to whole 8-column strips; padding columns are left untouched.
 */
export function im2col(
  x: Float32Array, xOffset: number, c: number, h: number, w: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, ho: number, wo: number,
  col: Float32Array, colOffset: number, ld: number,
): void {
  let row = 0;
  for (let ch = 0; ch < c; ch++) {
    const plane = xOffset + ch * h * w;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row++) {
        const base = colOffset + row * ld;
        const dx = kx * dw - pl;
        // Clip the valid output columns once per tap instead of testing every element.
        const oxStart = Math.min(wo, Math.max(0, Math.ceil(-dx / sw)));
        const oxEnd = Math.max(oxStart, Math.min(wo, Math.floor((w - 1 - dx) / sw) + 1));
        for (let oy = 0; oy < ho; oy++) {
          const iy = oy * sh + ky * dh - pt;
          const dst = base + oy * wo;
          if (iy < 0 || iy >= h || oxEnd <= oxStart) {
            col.fill(0, dst, dst + wo);
            continue;
          }
          if (oxStart > 0) col.fill(0, dst, dst + oxStart);
          const src = plane + iy * w + dx;
          if (sw === 1) {
            col.set(x.subarray(src + oxStart, src + oxEnd), dst + oxStart);
          } else {
            for (let ox = oxStart; ox < oxEnd; ox++) col[dst + ox] = x[src + ox * sw]!;
          }
          if (oxEnd < wo) col.fill(0, dst + oxEnd, dst + wo);
        }
      }
    }
  }
}

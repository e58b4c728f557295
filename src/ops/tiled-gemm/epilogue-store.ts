import type { TiledMatmulSpec } from './spec.js';

/**
 * The per-thread epilogue both tiled kernels end with: statements storing `v4: vec4<f32>`, the C values of
 * row `row` and columns col..col+3 (col a multiple of 4, row in range), through the op's store. `vec` stores all four
 * at once with the op's store4 (N % 4 == 0, so the group is whole); otherwise each column in range goes through the
 * scalar store. `n` is N as the WGSL writes it (a literal or a uniform field).
 */
export function epilogueStore(spec: TiledMatmulSpec, n: string, vec: boolean): string {
  return vec ? `if (col < ${n}) {\n        ${spec.store4}\n      }`
    : `for (var c = 0u; c < 4u; c++) {
        if (col + c >= ${n}) { break; }
        let v = v4[c];
        let col = col + c;
        ${spec.store}
      }`;
}

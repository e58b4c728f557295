import type { TiledMatmulSpec } from './spec.js';

/**
 * The per-thread epilogue both tiled kernels end with: statements storing `v4: vec4<f32>`, the C values of
 * row `row` and columns col..col+3 (col a multiple of 4, row in range), through the op's store. `vec` stores all four
 * at once with the op's store4 (N % 4 == 0, so the group is whole); otherwise each column in range goes through the
 * scalar store. `n` is N as the WGSL writes it (a literal or a uniform field). The loop's counter has a name no op's
 * declarations use (an output buffer may well be called `c`).
 */
export function epilogueStore(spec: TiledMatmulSpec, n: string, vec: boolean): string {
  return vec ? `if (col < ${n}) {\n        ${spec.store4}\n      }`
    : `for (var lane4 = 0u; lane4 < 4u; lane4++) {
        if (col + lane4 >= ${n}) { break; }
        let v = v4[lane4];
        let col = col + lane4;
        ${spec.store}
      }`;
}

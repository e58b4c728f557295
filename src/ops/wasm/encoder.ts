/**
 * A tiny WebAssembly binary writer: just enough to emit our own SIMD kernels from TypeScript (one imported
 * memory, functions over i32 parameters, i32/v128 locals). Opcode values follow the WebAssembly core spec.
 */

export const ValType = { I32: 0x7f, F32: 0x7d, F64: 0x7c, V128: 0x7b } as const;
export type ValType = (typeof ValType)[keyof typeof ValType];

/** Unsigned LEB128. */
function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (for i32.const). */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

const SIMD = 0xfd;

/**
 * Instruction helpers returning byte arrays, so kernel bodies read like the text format.
 * Memory accesses take (offset, log2 alignment); our kernels only ever use small static offsets.
 */
export const op = {
  block: (): number[] => [0x02, 0x40],
  loop: (): number[] => [0x03, 0x40],
  end: (): number[] => [0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  get: (local: number): number[] => [0x20, ...uleb(local)],
  set: (local: number): number[] => [0x21, ...uleb(local)],
  tee: (local: number): number[] => [0x22, ...uleb(local)],
  i32: (value: number): number[] => [0x41, ...sleb(value)],
  i32Eqz: (): number[] => [0x45],
  i32Add: (): number[] => [0x6a],
  i32Sub: (): number[] => [0x6b],
  i32Mul: (): number[] => [0x6c],
  i32Shl: (): number[] => [0x74],
  i32ShrU: (): number[] => [0x76],
  i32And: (): number[] => [0x71],
  i32LtU: (): number[] => [0x49],
  v128Load: (offset = 0, align = 0): number[] => [SIMD, 0x00, align, ...uleb(offset)],
  v128Store: (offset = 0, align = 0): number[] => [SIMD, 0x0b, align, ...uleb(offset)],
  v128Load32Splat: (offset = 0): number[] => [SIMD, 0x09, 2, ...uleb(offset)],
  v128Load64Splat: (offset = 0): number[] => [SIMD, 0x0a, 3, ...uleb(offset)],
  v128Const0: (): number[] => [SIMD, 0x0c, ...new Array<number>(16).fill(0)],
  /** i8x16.shuffle by 32-bit lanes: lane i of the result is lane lanes[i] of a (0–3) or b (4–7). */
  i32x4Shuffle: (lanes: readonly [number, number, number, number]): number[] => [SIMD, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])],
  f64x2PromoteLowF32x4: (): number[] => [SIMD, ...uleb(0x5f)],
  f64x2Add: (): number[] => [SIMD, ...uleb(0xf0)],
  f64x2Mul: (): number[] => [SIMD, ...uleb(0xf2)],
  f32x4Add: (): number[] => [SIMD, ...uleb(0xe4)],
  f32x4Mul: (): number[] => [SIMD, ...uleb(0xe6)],
  f32x4Sub: (): number[] => [SIMD, ...uleb(0xe5)],
  /** Lane-wise a < b as an all-ones / all-zeros mask. */
  f32x4Lt: (): number[] => [SIMD, ...uleb(0x43)],
  /** (a & mask) | (b & ~mask), with the stack holding a, b, mask. */
  v128Bitselect: (): number[] => [SIMD, ...uleb(0x52)],
  f32x4Div: (): number[] => [SIMD, ...uleb(0xe7)],
  /** Lane-wise maximum, NaN if either lane is NaN. */
  f32x4Max: (): number[] => [SIMD, ...uleb(0xe9)],
  /** Pseudo-minimum `b < a ? b : a` and pseudo-maximum `a < b ? b : a` (JS's comparison order, NaN in a kept). */
  f32x4Pmin: (): number[] => [SIMD, ...uleb(0xea)],
  f32x4Pmax: (): number[] => [SIMD, ...uleb(0xeb)],
  /** memory.copy within the one memory: (dst, src, bytes) on the stack. */
  memoryCopy: (): number[] => [0xfc, ...uleb(10), 0x00, 0x00],
  /** memory.fill of the one memory: (dst, byte value, bytes) on the stack. */
  memoryFill: (): number[] => [0xfc, ...uleb(11), 0x00],
  f32Load: (offset = 0): number[] => [0x2a, 2, ...uleb(offset)],
  f32Store: (offset = 0): number[] => [0x38, 2, ...uleb(offset)],
  /** Maximum, NaN if either operand is NaN. */
  f32Max: (): number[] => [0x97],
  f64x2ExtractLane: (lane: number): number[] => [SIMD, ...uleb(0x21), lane],
  f64Add: (): number[] => [0xa0],
  f64Div: (): number[] => [0xa3],
  f64ConvertI32U: (): number[] => [0xb8],
  f64PromoteF32: (): number[] => [0xbb],
  f32DemoteF64: (): number[] => [0xb6],
};

export interface FunctionSpec {
  readonly name: string;
  readonly params: number;
  /** Extra locals after the i32 params, in declaration order. */
  readonly locals: readonly ValType[];
  readonly body: number[];
}

/** Most pages a wasm32 memory can have (4 GiB). */
export const MAX_PAGES = 65536;

/**
 * A module importing `env.memory` and exporting the given functions (all `(i32…) -> ()`). `shared` declares the
 * memory shared (threads: it then must have a maximum, declared here as MAX_PAGES so any shared memory fits).
 */
export function encodeModule(functions: readonly FunctionSpec[], minPages: number, shared = false): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vector(new Array<number[]>(f.params).fill([ValType.I32])), 0]);
  const limits = shared ? [0x03, ...uleb(minPages), ...uleb(MAX_PAGES)] : [0x00, ...uleb(minPages)];
  const imports = [[...name('env'), ...name('memory'), 0x02, ...limits]];
  const funcIndices = functions.map((_, i) => uleb(i));
  const exports = functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]);
  const bodies = functions.map((f) => {
    // Run-length groups of identical local types.
    const groups: number[][] = [];
    for (const t of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]!++;
      else groups.push([1, t]);
    }
    const code = [...vector(groups.map(([n, t]) => [...uleb(n!), t!])), ...f.body, 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(funcIndices)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
}

/**
 * The scalar type float32 values are stored as in GPU buffers: 'f32', or 'f16' for a plan compiled with precision
 * 'fp16' (needs the adapter's shader-f16). Every kernel is one template for both: it declares its float bindings
 * with `scalar`/`vec4`, converts each value it loads to f32 (`load`, `load4`), computes and accumulates in f32, and
 * converts once when it stores (`store`, `store4`). The conversions are written for f32 storage too, where they are
 * identities, so the f16 text of a kernel is its f32 text with the type names changed (tests/webgpu/fp16-wgsl.test.ts
 * checks exactly that, which is how CI's f32 runs cover the f16 kernels' logic on an adapter without shader-f16).
 */
export type StorageScalar = 'f32' | 'f16';

/** WGSL helpers of one storage scalar (see StorageScalar). */
export class Storage {
  private static readonly byScalar = new Map<StorageScalar, Storage>();

  private constructor(readonly scalar: StorageScalar) {}

  /** The helpers of `scalar` (one shared instance per scalar). */
  static of(scalar: StorageScalar): Storage {
    let s = Storage.byScalar.get(scalar);
    if (!s) { s = new Storage(scalar); Storage.byScalar.set(scalar, s); }
    return s;
  }

  /** Float32 storage: the default. */
  static readonly f32: Storage = Storage.of('f32');

  /** Half storage (precision 'fp16'). */
  static readonly f16: Storage = Storage.of('f16');

  /** Whether values are stored as f16 (every float32 buffer of the plan holds halves). */
  get half(): boolean {
    return this.scalar === 'f16';
  }

  /** The element type of a binding of four stored floats. */
  get vec4(): string {
    return `vec4<${this.scalar}>`;
  }

  /** Bytes of one stored float. */
  get bytes(): 2 | 4 {
    return this.half ? 2 : 4;
  }

  /** The f32 value of stored element `expr` (an indexing of a float binding). */
  load(expr: string): string {
    return `f32(${expr})`;
  }

  /** The vec4<f32> value of four stored floats `expr` (an indexing of a vec4 binding). */
  load4(expr: string): string {
    return `vec4<f32>(${expr})`;
  }

  /** The stored form of the f32 expression `expr`, for an assignment to a float binding's element. */
  store(expr: string): string {
    return `${this.scalar}(${expr})`;
  }

  /** The stored form of the vec4<f32> expression `expr`, for an assignment to a vec4 binding's element. */
  store4(expr: string): string {
    return `${this.vec4}(${expr})`;
  }

  /**
   * The element type a 32-bit WGSL word type is stored as: 'f32' becomes the storage scalar, 'vec4<f32>' its vec4,
   * integer types stay. Kernels pass their declared elements through this (declareBindings does).
   */
  element(wgsl: string): string {
    if (wgsl === 'f32') return this.scalar;
    if (wgsl === 'vec4<f32>') return this.vec4;
    return wgsl;
  }

  /** The directive a shader of this storage starts with ('enable f16;' for halves, nothing for f32). */
  get directive(): string {
    return this.half ? 'enable f16;\n' : '';
  }
}

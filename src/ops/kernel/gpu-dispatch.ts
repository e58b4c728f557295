/** One compute dispatch as a kernel describes it: WGSL text, what each binding holds, and the grid. */

/** What buffer sits at @binding(i) of a dispatch. Inputs and data are read-only; outputs are read_write. */
export type GpuBinding =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'output'; readonly index: number }
  /**
   * Kernel-private constant data (repacked weights, PRelu slopes, gather indices), uploaded once per plan. Float data
   * is stored as the plan's storage scalar (see Storage), unless `exact`: kept float32 (interpolation weights, which
   * belong to the op's arithmetic rather than to the model's values).
   */
  | { readonly kind: 'data'; readonly data: Float32Array | Int32Array | Uint32Array; readonly exact?: boolean }
  /**
   * Read-write working memory of at least `bytes`, valid only within the step's own dispatches (split-K partial
   * sums): the plan backs every scratch binding with one shared buffer, since steps run one after another.
   */
  | { readonly kind: 'scratch'; readonly bytes: number }
  /** A uniform buffer of shape values (see ShapeValues): the generic kernels' extents and strides. */
  | { readonly kind: 'uniform'; readonly data: Uint32Array };

export interface GpuDispatch {
  /** WGSL source with one `main` entry point; pipelines are cached by this text. */
  readonly shader: string;
  readonly bindings: readonly GpuBinding[];
  readonly workgroups: readonly [number, number, number];
  /**
   * WGSL of the same work on the same bindings and grid without an optional device feature (the subgroup-matrix
   * GEMM's normal tile): the plan compiles it instead when `shader` fails to compile, so a kernel that no adapter
   * here could test costs speed on a real GPU, never correctness.
   */
  readonly fallbackShader?: string;
  /** For GEMM-shaped dispatches: the multiply-adds the op needs and those the grid computes, tile padding included. */
  readonly macs?: GemmMacs;
}

/** Useful multiply-adds (M·N·K per problem) against those a tiled grid computes (every tile full, K rounded up). */
export interface GemmMacs {
  readonly useful: number;
  readonly computed: number;
}

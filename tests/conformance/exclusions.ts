/**
 * Node cases of ops we claim that are out of scope, with the reason. Reviewed list: the runner checks that each one
 * is refused with the stated typed error (never a wrong answer or a crash), and an entry whose case starts passing
 * fails the suite so the table cannot go stale.
 */
export interface Exclusion {
  readonly reason: string;
  /** The error class the engine must refuse the case with. */
  readonly refusedWith: 'UnsupportedOpError' | 'InsightGpuError';
}

function unsupported(reason: string, names: readonly string[]): Record<string, Exclusion> {
  return Object.fromEntries(names.map((n) => [n, { reason, refusedWith: 'UnsupportedOpError' as const }]));
}

const BFLOAT16 = 'bfloat16 tensors: the engine computes in float32 and takes float16 (not bfloat16) files';

export const EXCLUSIONS: Readonly<Record<string, Exclusion>> = {
  ...unsupported(BFLOAT16, ['test_cast_BFLOAT16_to_FLOAT', 'test_cast_FLOAT_to_BFLOAT16']),
  ...unsupported(BFLOAT16, [
    'test_castlike_BFLOAT16_to_FLOAT', 'test_castlike_BFLOAT16_to_FLOAT_expanded', 'test_castlike_FLOAT_to_BFLOAT16', 'test_castlike_FLOAT_to_BFLOAT16_expanded',
  ]),
  ...unsupported('string tensors: no string dtype in the engine', ['test_cast_FLOAT_to_STRING']),
  // CastLike takes its target type from a graph input, so a string one is refused at load with the input named.
  ...Object.fromEntries(['test_castlike_FLOAT_to_STRING', 'test_castlike_FLOAT_to_STRING_expanded', 'test_castlike_STRING_to_FLOAT', 'test_castlike_STRING_to_FLOAT_expanded']
    .map((n) => [n, { reason: 'string tensors: no string dtype in the engine', refusedWith: 'InsightGpuError' as const }])),
  // A string graph input can never be fed, so the parser refuses the model at load time (GraphError naming the input).
  test_cast_STRING_to_FLOAT: { reason: 'string tensors: no string dtype in the engine', refusedWith: 'InsightGpuError' },
  test_identity_opt: { reason: 'optional values (not tensors) as graph inputs', refusedWith: 'InsightGpuError' },
  test_identity_sequence: { reason: 'sequence values (not tensors) as graph inputs', refusedWith: 'InsightGpuError' },
  ...unsupported('3-D pooling (rank-5 input): the face models pool in 2-D only', ['test_averagepool_3d_default', 'test_maxpool_3d_default']),
  ...unsupported('integer pooling: the models pool float32 only (and WGSL has no 8-bit storage type)', ['test_maxpool_2d_uint8']),
  ...unsupported('MaxPool\'s Indices output (argmax), used only for unpooling in training-style graphs', [
    'test_maxpool_with_argmax_2d_precomputed_pads', 'test_maxpool_with_argmax_2d_precomputed_strides',
  ]),
  ...unsupported('BatchNormalization training mode (batch statistics and running-mean outputs)', [
    'test_batchnorm_epsilon_training_mode', 'test_batchnorm_example_training_mode',
  ]),
  ...unsupported('Dropout in training mode with a non-zero ratio: random output (the zero-ratio cases are run)', [
    'test_training_dropout', 'test_training_dropout_default', 'test_training_dropout_default_mask', 'test_training_dropout_mask',
  ]),
  ...unsupported('Resize mode cubic: the detectors resize with nearest/linear only', [
    'test_resize_downsample_scales_cubic', 'test_resize_downsample_scales_cubic_A_n0p5_exclude_outside',
    'test_resize_downsample_scales_cubic_align_corners', 'test_resize_downsample_sizes_cubic',
    'test_resize_upsample_scales_cubic', 'test_resize_upsample_scales_cubic_A_n0p5_exclude_outside',
    'test_resize_upsample_scales_cubic_align_corners', 'test_resize_upsample_scales_cubic_asymmetric',
    'test_resize_upsample_sizes_cubic',
  ]),
  ...unsupported('Resize coordinate mode tf_crop_and_resize (roi input): not used by the face models', ['test_resize_tf_crop_and_resize']),
};

/**
 * Node cases where onnxruntime and the ONNX reference (whose outputs are the case's expected data) disagree, and the
 * engine follows onnxruntime: InsightFace's Python runs on onnxruntime, and kernels must match it within 1e-4. The
 * runner runs each such case, checks every output against onnxruntime-node's on the same model and inputs, and
 * checks that at least one output still differs from the expected data, so an entry that stops diverging fails the
 * suite, as a stale exclusion does.
 */
export interface Divergence {
  readonly reason: string;
  readonly divergesTo: 'onnxruntime';
}

export const DIVERGENCES: Readonly<Record<string, Divergence>> = {
  test_resize_downsample_scales_linear_align_corners: {
    reason: 'linear align_corners with a scale whose product is not whole (4 × 0.6 = 2.4 → 2 outputs): onnxruntime divides by '
      + 'the output length less one (reading 1 and 4), the ONNX reference by the unrounded 2.4 less one (1 and 3.142857)',
    divergesTo: 'onnxruntime',
  },
};

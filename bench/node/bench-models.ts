/** The shared test-bed models the benchmark knows, with the input shape each is run at. */
export interface BenchModel {
  readonly name: string;
  readonly file: string;
  readonly input: string;
  readonly dims: readonly number[];
}

export const BENCH_MODELS: readonly BenchModel[] = [
  { name: 'scrfd_2.5g@640', file: 'scrfd_2.5g_bnkps.onnx', input: 'input.1', dims: [1, 3, 640, 640] },
  { name: 'scrfd_500m@640', file: 'scrfd_500m_bnkps.onnx', input: 'input.1', dims: [1, 3, 640, 640] },
  { name: 'mobilefacenet', file: 'mobilefacenet.onnx', input: 'input', dims: [1, 3, 112, 112] },
  { name: 'tiny_2d106', file: 'tiny_2d106.onnx', input: 'data', dims: [1, 3, 192, 192] },
  { name: 'tiny_3d68', file: 'tiny_3d68.onnx', input: 'data', dims: [1, 3, 192, 192] },
  { name: 'tiny_genderage', file: 'tiny_genderage.onnx', input: 'data', dims: [1, 3, 96, 96] },
];

/**
 * The forged buffalo_l replicas (models/forge), read from a replica folder (`--replicas DIR`, forged there when
 * missing). Same architectures, shapes and op mix as the real pack, so their timings stand for the real models'.
 */
export const REPLICA_BENCH_MODELS: readonly BenchModel[] = [
  { name: 'det_10g@640', file: 'det_10g.onnx', input: 'input.1', dims: [1, 3, 640, 640] },
  { name: 'det_10g@320', file: 'det_10g.onnx', input: 'input.1', dims: [1, 3, 320, 320] },
  { name: 'w600k_r50', file: 'w600k_r50.onnx', input: 'input.1', dims: [1, 3, 112, 112] },
  // Issue 14's conv-heavy rows name w600k_r50 at batch 1 and 8 (its batch dimension is dynamic, as in the real file).
  { name: 'w600k_r50@b8', file: 'w600k_r50.onnx', input: 'input.1', dims: [8, 3, 112, 112] },
  { name: '1k3d68', file: '1k3d68.onnx', input: 'data', dims: [1, 3, 192, 192] },
  { name: '2d106det', file: '2d106det.onnx', input: 'data', dims: [1, 3, 192, 192] },
  { name: 'genderage', file: 'genderage.onnx', input: 'data', dims: [1, 3, 96, 96] },
];


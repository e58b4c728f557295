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

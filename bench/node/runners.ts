/** One engine prepared to run one model on one fixed input, behind a common shape. */
import { InferenceSession } from '../../src/session/session.js';
import type { BenchModel } from './bench-models.js';

export interface Runner {
  readonly label: string;
  run(): Promise<void>;
  /** Outputs of one more run, by name, for the sanity check. */
  outputs(): Promise<Map<string, Float32Array>>;
  release(): Promise<void>;
}

export async function createOursRunner(bytes: Uint8Array, model: BenchModel, input: Float32Array, cpuThreads = 1): Promise<Runner> {
  const session = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads });
  const feeds = { [model.input]: { type: 'float32' as const, data: input, dims: [...model.dims] } };
  return {
    label: cpuThreads === 1 ? 'ours (cpu)' : `ours (cpu ${cpuThreads}T)`,
    async run() { await session.run(feeds); },
    async outputs() {
      const out = await session.run(feeds);
      return new Map(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
    },
    release: () => session.release(),
  };
}

/** onnxruntime-web's wasm backend, one thread: loads its .wasm from node_modules, no network. */
export async function createOrtWebRunner(bytes: Uint8Array, model: BenchModel, input: Float32Array): Promise<Runner> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const tensor = new ort.Tensor('float32', input, [...model.dims]);
  const run = () => session.run({ [model.input]: tensor });
  return {
    label: 'ort-web wasm 1T',
    async run() { await run(); },
    async outputs() {
      const out = await run();
      return new Map(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
    },
    release: () => session.release(),
  };
}

/** onnxruntime-node with its default (multi-threaded) settings. */
export async function createOrtNodeRunner(bytes: Uint8Array, model: BenchModel, input: Float32Array): Promise<Runner> {
  const ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(bytes);
  const tensor = new ort.Tensor('float32', input, [...model.dims]);
  const run = () => session.run({ [model.input]: tensor });
  return {
    label: 'ort-node',
    async run() { await run(); },
    async outputs() {
      const out = await run();
      return new Map(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
    },
    release: () => session.release(),
  };
}

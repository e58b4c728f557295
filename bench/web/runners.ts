/**
 * The four engines the benchmark page compares, behind one small interface: load a model's bytes, run one input,
 * hand back the outputs as plain Float32Arrays (so results can be cross-checked), release.
 */
import { InferenceSession, Tensor } from '../../src/index.js';
import { loadOrtWeb } from '../../web/lib/ort-web.js';

export type BackendId = 'insightgpu-webgpu' | 'insightgpu-cpu' | 'ort-webgpu' | 'ort-wasm';

export const BACKENDS: readonly BackendId[] = ['insightgpu-webgpu', 'insightgpu-cpu', 'ort-webgpu', 'ort-wasm'];

/** Which onnxruntime-web backend each of ours is measured against. */
export const PEER_OF: Readonly<Partial<Record<BackendId, BackendId>>> = {
  'insightgpu-webgpu': 'ort-webgpu',
  'insightgpu-cpu': 'ort-wasm',
};

export function isBackendId(value: string): value is BackendId {
  return (BACKENDS as readonly string[]).includes(value);
}

export interface ModelInput {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface LoadedModel {
  run(input: ModelInput): Promise<Float32Array[]>;
  /** Waits until warm runs use the engine's fastest kernels (ours: the specialised tier); absent when no wait. */
  settle?(): Promise<void>;
  release(): Promise<void>;
}

export interface Runner {
  readonly id: BackendId;
  load(bytes: Uint8Array): Promise<LoadedModel>;
}

function insightgpuRunner(id: BackendId, backend: 'webgpu' | 'cpu'): Runner {
  return {
    id,
    async load(bytes) {
      const session = await InferenceSession.create(bytes, { backend });
      return {
        async run(input) {
          const out = await session.run({ [input.name]: new Tensor('float32', input.data, input.dims) });
          return session.outputNames.map((n) => out[n]!.data as Float32Array);
        },
        settle: () => session.specialized(),
        release: () => session.release(),
      };
    },
  };
}

function ortRunner(id: BackendId, ep: 'webgpu' | 'wasm'): Runner {
  return {
    id,
    async load(bytes) {
      const ort = await loadOrtWeb();
      // ort may transfer or keep the buffer; give it its own copy so the other engines still see the bytes.
      const session = await ort.InferenceSession.create(bytes.slice(), { executionProviders: [ep], graphOptimizationLevel: 'all' });
      return {
        async run(input) {
          const out = await session.run({ [input.name]: new ort.Tensor('float32', input.data, input.dims) });
          return session.outputNames.map((n) => out[n]!.data as Float32Array);
        },
        release: () => session.release(),
      };
    },
  };
}

export function createRunner(id: BackendId): Runner {
  switch (id) {
    case 'insightgpu-webgpu': return insightgpuRunner(id, 'webgpu');
    case 'insightgpu-cpu': return insightgpuRunner(id, 'cpu');
    case 'ort-webgpu': return ortRunner(id, 'webgpu');
    case 'ort-wasm': return ortRunner(id, 'wasm');
  }
}

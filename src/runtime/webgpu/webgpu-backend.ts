import { BackendError } from '../../parser/errors.js';
import type { Backend } from '../backend.js';
import type { WebGpuOptions } from '../session.js';

/** Placeholder until the WebGPU backend lands: reports clearly that it is not available. */
export async function createWebGpuBackend(options: WebGpuOptions): Promise<Backend> {
  void options;
  throw new BackendError('webgpu', 'the WebGPU backend is not built yet');
}

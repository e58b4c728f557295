import { BackendError, InsightGpuError } from '../core/errors.js';
import type { BackendName, WebGpuOptions } from './options.js';
import type { GpuDevice } from './webgpu/device.js';

/**
 * What a backend name came to: the CPU (with why, when 'auto' fell back to it), or WebGPU on this device (the
 * caller releases it).
 */
export type BackendChoice =
  | { readonly backend: 'cpu'; readonly reason?: string }
  | { readonly backend: 'webgpu'; readonly gpu: GpuDevice };

/**
 * The one place 'cpu' | 'webgpu' | 'auto' becomes a backend, shared by InferenceSession and FaceAnalysis so both
 * decide alike. 'webgpu' takes any adapter, software ones included, and fails with a BackendError; 'auto' takes a
 * hardware adapter (a software one only with `allowSoftwareAdapter`) and otherwise the CPU. A lent device is used
 * as it is. Unknown names are a BackendError.
 */
export async function chooseBackend(name: BackendName | undefined, webgpu: WebGpuOptions | undefined): Promise<BackendChoice> {
  const choice = name ?? 'auto';
  if (choice === 'cpu') return { backend: 'cpu', reason: 'asked for' };
  if (choice !== 'webgpu' && choice !== 'auto') throw new BackendError(String(choice), "unknown backend; use 'cpu', 'webgpu' or 'auto'");
  try {
    // Loaded when WebGPU is wanted: the CPU path never evaluates WebGPU code.
    const { acquireDevice } = await import('./webgpu/device.js');
    const gpu = await acquireDevice({ ...webgpu, allowSoftwareAdapter: choice === 'webgpu' || webgpu?.allowSoftwareAdapter });
    return { backend: 'webgpu', gpu };
  } catch (error) {
    if (choice === 'auto') return { backend: 'cpu', reason: error instanceof BackendError ? error.why : error instanceof Error ? error.message : String(error) };
    if (error instanceof InsightGpuError) throw error;
    throw new BackendError('webgpu', error instanceof Error ? error.message : String(error), { cause: error });
  }
}

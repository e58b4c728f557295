import { BackendError, InputError, InsightGpuError } from '../core/errors.js';
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
  // Checked outside the try below: 'auto' would otherwise hide the caller's mistake behind a cpu fallback.
  if (webgpu?.device !== undefined) checkLentDevice(webgpu.device);
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

/** The GPUDevice members the webgpu backend uses at once, which any real device (browser or Dawn) has. */
const DEVICE_METHODS = ['createBuffer', 'createCommandEncoder', 'createBindGroup', 'createComputePipelineAsync', 'destroy'] as const;

/**
 * Refuses a lent `webgpu.device` that is no GPUDevice with an InputError naming what it lacks, instead of a
 * TypeError from deep in the backend. Duck-typed: Dawn in Node exposes no global GPUDevice class to test against.
 */
function checkLentDevice(device: unknown): void {
  const d = device as Record<string, unknown> | null;
  const lacks = (why: string): never => { throw new InputError(`session option webgpu.device is not a GPUDevice (${why})`); };
  if (d === null || typeof d !== 'object') lacks(`got ${d === null ? 'null' : typeof d}`);
  for (const m of DEVICE_METHODS) if (typeof d![m] !== 'function') lacks(`no ${m}()`);
  if (d!['queue'] === null || typeof d!['queue'] !== 'object') lacks('no queue');
  if (d!['limits'] === null || typeof d!['limits'] !== 'object') lacks('no limits');
  if (typeof (d!['features'] as { has?: unknown } | undefined)?.has !== 'function') lacks('no features set');
  if (typeof (d!['lost'] as { then?: unknown } | undefined)?.then !== 'function') lacks('no lost promise');
}

import { BackendError, PrecisionUnavailableError } from '../core/errors.js';
import type { Backend } from '../backends/plan.js';
import { chooseBackend } from '../backends/choice.js';
import { CpuBackend } from '../backends/cpu/backend.js';
import { resolveCpuThreads, type BackendName, type CpuThreads, type WebGpuOptions } from '../backends/options.js';

/** The backend a session's options ask for, refusing an fp16 request that would silently run in float32. */
export async function createBackend(options: { readonly backend?: BackendName; readonly webgpu?: WebGpuOptions; readonly cpuThreads?: CpuThreads }): Promise<Backend> {
  const precision = options.webgpu?.precision;
  if (precision !== undefined && precision !== 'fp32' && precision !== 'fp16') throw new BackendError('webgpu', `unknown precision '${String(precision)}'; use 'fp32' or 'fp16'`);
  const choice = await chooseBackend(options.backend, options.webgpu);
  const fp16 = precision === 'fp16';
  if (choice.backend === 'cpu') {
    // Asked-for fp16 never turns silently into a float32 run on the CPU ('auto' without a GPU included).
    if (fp16) throw new PrecisionUnavailableError('fp16', 'the cpu backend', `it computes in float32 only${choice.reason ? ` (WebGPU: ${choice.reason})` : ''}`);
    return new CpuBackend((options.backend ?? 'auto') === 'auto' ? choice.reason : undefined, resolveCpuThreads(options.cpuThreads));
  }
  if (fp16 && !choice.gpu.hasShaderF16) {
    choice.gpu.release();
    throw new PrecisionUnavailableError('fp16', choice.gpu.description, 'the adapter does not offer shader-f16');
  }
  try {
    const { WebGpuBackend } = await import('../backends/webgpu/backend.js');
    return new WebGpuBackend(choice.gpu);
  } catch (error) {
    choice.gpu.release();
    throw error;
  }
}

import { BackendError } from '../../core/errors.js';
import { ShaderStage } from './gpu-constants.js';

/** 'r' for a read-only storage binding, 'w' for a read_write one, 'u' for a uniform buffer, in binding order. */
export type LayoutSignature = string;

/**
 * Compute pipelines keyed by WGSL text and binding signature, shared by every plan on a device: a model compiled
 * for a second input size reuses all kernels whose shapes did not change, and the sessions of one application
 * (detector, recogniser, landmarks on one device) share their generic kernels. Creation is asynchronous, so a plan
 * starts all of its pipelines at once and the driver may compile them in parallel.
 */
export class PipelineCache {
  private static readonly byDevice = new WeakMap<GPUDevice, PipelineCache>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly layouts = new Map<LayoutSignature, GPUBindGroupLayout>();
  /** Keys whose pipeline has compiled. */
  private readonly compiled = new Set<string>();
  /** Keys whose shader failed to compile and whose pipeline is their fallback's, with the failure. */
  private readonly fallbacks = new Map<string, string>();

  constructor(private readonly device: GPUDevice) {}

  /** The cache every backend on `device` shares. */
  static of(device: GPUDevice): PipelineCache {
    let cache = PipelineCache.byDevice.get(device);
    if (!cache) { cache = new PipelineCache(device); PipelineCache.byDevice.set(device, cache); }
    return cache;
  }

  layout(signature: LayoutSignature): GPUBindGroupLayout {
    let layout = this.layouts.get(signature);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        entries: [...signature].map((c, binding) => ({
          binding,
          visibility: ShaderStage.COMPUTE,
          buffer: { type: c === 'w' ? 'storage' : c === 'u' ? 'uniform' : 'read-only-storage' },
        })),
      });
      this.layouts.set(signature, layout);
    }
    return layout;
  }

  /**
   * The pipeline for a shader; `label` names the node in errors (a failed compilation is a BackendError). With a
   * `fallback` (see GpuDispatch.fallbackShader) a shader that fails to compile gives the fallback's pipeline instead,
   * and the failure is recorded (see fallbackOf); its validation errors stay in a scope of its own, so they neither
   * fail the plan that asked nor reach the device's uncaptured-error handler.
   */
  get(shader: string, signature: LayoutSignature, label: string, fallback?: string): Promise<GPUComputePipeline> {
    const key = `${signature}\n${shader}`;
    let p = this.pipelines.get(key);
    if (!p) {
      if (fallback !== undefined) this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: shader, label });
      const layout = this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(signature)] });
      const created = this.device.createComputePipelineAsync({ layout, compute: { module, entryPoint: 'main' }, label });
      const scope = fallback !== undefined ? this.device.popErrorScope() : Promise.resolve(null);
      const failed = async (error: unknown): Promise<string> => {
        const info = await module.getCompilationInfo().catch(() => undefined);
        const messages = info?.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ');
        return `pipeline for ${label} failed: ${messages || (error instanceof Error ? error.message : String(error))}`;
      };
      p = Promise.all([created, scope]).then(([pipeline, scopeError]) => {
        if (scopeError) throw new Error(scopeError.message);
        return pipeline;
      }).catch(async (error: unknown) => {
        const reason = await failed(error);
        if (fallback === undefined) {
          this.pipelines.delete(key);
          throw new BackendError('webgpu', reason, { cause: error });
        }
        this.fallbacks.set(key, reason);
        return this.get(fallback, signature, label);
      });
      this.pipelines.set(key, p);
      p.then(() => this.compiled.add(key), () => undefined);
    }
    return p;
  }

  /** Why the pipeline for this shader is its fallback's (the compilation failure), or undefined when it is its own. */
  fallbackOf(shader: string, signature: LayoutSignature): string | undefined {
    return this.fallbacks.get(`${signature}\n${shader}`);
  }

  /** Whether the pipeline for this shader has compiled already (asking for it then costs nothing). */
  isReady(shader: string, signature: LayoutSignature): boolean {
    return this.compiled.has(`${signature}\n${shader}`);
  }

  get size(): number {
    return this.pipelines.size;
  }
}

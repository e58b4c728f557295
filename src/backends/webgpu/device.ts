import { BackendError } from '../../core/errors.js';
import type { WebGpuOptions } from '../options.js';
import type { SubgroupMatrixChoice } from '../../ops/tiled-gemm/gpu.js';
import { chooseSubgroupMatrix, SUBGROUP_MATRIX_FEATURE, type MatrixAdapterFacts } from './matrix-feature.js';

/** A device with what the plan needs to know about it. */
export interface GpuDevice {
  readonly device: GPUDevice;
  /** Adapter vendor / architecture / description, for messages and benchmark tables. */
  readonly description: string;
  readonly isSoftware: boolean;
  readonly hasTimestamps: boolean;
  /** Whether the device has shader-f16 (what precision 'fp16' needs). */
  readonly hasShaderF16: boolean;
  /**
   * The subgroup-matrix configuration fp16 plans use for their GEMMs, when the device was made for one (precision
   * 'fp16', subgroupMatrix 'auto', the feature offered with an f16 configuration); undefined otherwise.
   */
  readonly subgroupMatrix?: SubgroupMatrixChoice;
  /** Why the device was lost, once it has been; undefined while it works. */
  lostReason(): string | undefined;
  /** Destroys the device unless it was lent by the caller. */
  release(): void;
}

const WANTED_FEATURES: readonly GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups' as GPUFeatureName];
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupsPerDimension',
] as const;

/** Where Debian's chromium puts SwiftShader's Vulkan driver: the CPU adapter tests use when no GPU exists. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The fields of an adapter's info that name it. */
type AdapterNaming = Partial<Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>>;

function describe(info: AdapterNaming | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? [...new Set(parts)].join(' / ') : 'unnamed adapter';
}

function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  if (info?.isFallbackAdapter === true) return true;
  if ((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i.test(describe(info));
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

type GpuFactory = () => Promise<GPU>;

type NodeProbe = typeof import('./node-probe.js');

/** The Node-only helpers, behind a computed specifier so browser bundles never see node:child_process. */
async function nodeProbe(): Promise<NodeProbe> {
  const moduleName = './node-probe.js';
  return (await import(/* @vite-ignore */ moduleName)) as NodeProbe;
}

/** The browser's navigator.gpu, or in Node a fresh Dawn instance (loaded lazily so browser bundles never see it). */
async function gpuFactory(unsafe = false): Promise<GpuFactory | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) { const gpu = nav.gpu; return async () => gpu; }
  if (!isNode()) return undefined;
  const probe = await nodeProbe();
  const mod = (await import(/* @vite-ignore */ probe.resolveWebgpuPackage())) as { create(flags: string[]): GPU };
  // Every kernel here writes its workgroup memory before reading it, so Dawn's zero-initialisation is dead code;
  // on SwiftShader it also makes a shader with workgroup arrays take tens of seconds to compile. Timestamp queries
  // are quantised by default (~65 µs steps on the H200, a browser's guard against timing attacks), which would zero
  // most per-dispatch timings of the profiler; a Node process measuring its own work has nothing to guard.
  // Experimental features (subgroup matrices) are exposed only with allow_unsafe_apis, asked for by fp16 plans alone.
  return async () => mod.create([...(unsafe ? probe.UNSAFE_DAWN_FLAGS : probe.DAWN_FLAGS)]);
}

function swiftShaderAvailable(probe: NodeProbe): boolean {
  const env = process.env;
  if (env['VK_ICD_FILENAMES'] || env['VK_DRIVER_FILES']) return false;
  return probe.existsSync(SWIFTSHADER_ICD);
}

function adapterRequests(options: WebGpuOptions): GPURequestAdapterOptions[] {
  const preference = options.powerPreference ?? 'high-performance';
  return options.adapterName
    ? [{ powerPreference: preference }, { powerPreference: preference === 'high-performance' ? 'low-power' : 'high-performance' }, { forceFallbackAdapter: true }]
    : [{ powerPreference: preference }];
}

async function candidates(gpu: GPU, options: WebGpuOptions): Promise<GPUAdapter[]> {
  const found: GPUAdapter[] = [];
  for (const t of adapterRequests(options)) {
    const a = await gpu.requestAdapter(t).catch(() => null);
    if (a && !found.some((f) => describe(f.info) === describe(a.info))) found.push(a);
  }
  return found;
}

/**
 * In Node, unless INSIGHTGPU_DEBUG is set or the caller chose a Vulkan driver: what a quiet probe in a child
 * process says about the adapters, so that no adapter (or only a refused software one) means Dawn never starts
 * here and prints nothing. 'swiftshader' when the software fallback should be tried directly.
 */
async function quietVerdict(options: WebGpuOptions): Promise<'go' | 'swiftshader'> {
  if (!isNode() || (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu) return 'go';
  const probe = await nodeProbe();
  if (probe.debugOutput() || process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES']) return 'go';
  const { adapters } = await probe.probeAdapters(adapterRequests(options));
  const usable = adapters.filter((a) => options.allowSoftwareAdapter || !isSoftwareInfo(a));
  if (usable.length > 0) return 'go';
  if (options.allowSoftwareAdapter && swiftShaderAvailable(probe)) return 'swiftshader';
  if (adapters.length > 0) {
    throw new BackendError('webgpu', `only a software adapter is available (${describe(adapters[0])}); pass allowSoftwareAdapter to use it`);
  }
  // No hardware driver, but SwiftShader is installed: the same answer a create gets once an allowSoftwareAdapter
  // create in this process has pointed the Vulkan loader at it (the probe then sees SwiftShader itself).
  if (swiftShaderAvailable(probe)) {
    throw new BackendError('webgpu', `only a software adapter is available (SwiftShader, ${SWIFTSHADER_ICD}); pass allowSoftwareAdapter to use it`);
  }
  throw new BackendError('webgpu', 'no GPU adapter: Dawn found no usable device; --verbose or INSIGHTGPU_DEBUG=1 shows why');
}

function isSoftwareInfo(info: { isFallbackAdapter: boolean } & AdapterNaming): boolean {
  return info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i.test(describe(info));
}

/**
 * Runs native adapter discovery with the drivers' display-socket complaint silenced (an XDG_RUNTIME_DIR for the
 * duration, unless one is set or INSIGHTGPU_DEBUG asks for everything), then restores the environment.
 */
async function withQuietNativeEnv<T>(run: () => Promise<T>): Promise<T> {
  if (!isNode() || process.env['XDG_RUNTIME_DIR']) return run();
  const probe = await nodeProbe();
  if (probe.debugOutput()) return run();
  process.env['XDG_RUNTIME_DIR'] = probe.quietNativeEnv(process.env)['XDG_RUNTIME_DIR'];
  try {
    return await run();
  } finally {
    delete process.env['XDG_RUNTIME_DIR'];
  }
}

/**
 * Finds an adapter (high-performance by default, or the one whose name contains `adapterName`), then a device
 * with shader-f16 / timestamp-query / subgroups when offered and the adapter's maximum buffer limits.
 * Software adapters (SwiftShader) are refused unless `allowSoftwareAdapter`.
 */
export async function acquireDevice(options: WebGpuOptions): Promise<GpuDevice> {
  if (options.device) {
    // A lent device: its adapter's info (where the implementation exposes it) still tells software from hardware.
    const info = (options.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const software = info !== undefined && (/swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|warp/i.test(describe(info)));
    const matrix = chooseSubgroupMatrix({ features: options.device.features, info } as MatrixAdapterFacts, options.precision, options.subgroupMatrix);
    return wrapDevice(options.device, info ? describe(info) : 'caller-provided device', software, false, undefined, matrix);
  }
  const factory = await gpuFactory(options.precision === 'fp16' && (options.subgroupMatrix ?? 'auto') === 'auto');
  if (!factory) throw new BackendError('webgpu', 'this environment has no WebGPU (navigator.gpu is missing)');
  const verdict = await quietVerdict(options);
  let gpu: GPU | undefined;
  let adapters: GPUAdapter[] = [];
  if (verdict === 'go') {
    gpu = await factory();
    const first = gpu;
    adapters = await withQuietNativeEnv(() => candidates(first, options));
  }
  if (adapters.length === 0 && options.allowSoftwareAdapter && isNode() && swiftShaderAvailable(await nodeProbe())) {
    // No hardware Vulkan driver: point the loader at SwiftShader and ask a fresh Dawn instance.
    process.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
    const second = await factory();
    gpu = second;
    adapters = await withQuietNativeEnv(() => candidates(second, options));
  }
  if (adapters.length === 0) throw new BackendError('webgpu', 'no WebGPU adapter was found');
  let adapter = adapters[0]!;
  if (options.adapterName) {
    const wanted = options.adapterName.toLowerCase();
    const match = adapters.find((a) => describe(a.info).toLowerCase().includes(wanted));
    if (!match) throw new BackendError('webgpu', `no adapter matches '${options.adapterName}' (found: ${adapters.map((a) => describe(a.info)).join('; ')})`);
    adapter = match;
  }
  const software = isSoftwareAdapter(adapter);
  if (software && !options.allowSoftwareAdapter) {
    throw new BackendError('webgpu', `only a software adapter is available (${describe(adapter.info)}); pass allowSoftwareAdapter to use it`);
  }
  const matrix = chooseSubgroupMatrix(adapter as unknown as MatrixAdapterFacts, options.precision, options.subgroupMatrix);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  if (matrix) requiredFeatures.push(SUBGROUP_MATRIX_FEATURE as GPUFeatureName);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (error) {
    throw new BackendError('webgpu', `requestDevice failed on ${describe(adapter.info)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  // Dawn-in-Node keeps the process alive while its instance is referenced: the device holds the only reference.
  const keepAlive: { gpu: GPU | undefined } = { gpu };
  gpu = undefined;
  return wrapDevice(device, describe(adapter.info), software, true, () => { keepAlive.gpu = undefined; }, matrix);
}

function wrapDevice(device: GPUDevice, description: string, isSoftware: boolean, owned: boolean, onRelease?: () => void, matrix?: SubgroupMatrixChoice): GpuDevice {
  let lost: string | undefined;
  let released = false;
  void device.lost.then((info) => {
    if (!released) lost = `${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''}`;
  });
  return {
    device,
    description,
    isSoftware,
    hasTimestamps: device.features.has('timestamp-query'),
    hasShaderF16: device.features.has('shader-f16'),
    // The choice stands only if the device really has the feature (a lent device's adapter info may list configs
    // the device was not created for).
    ...(matrix && device.features.has(SUBGROUP_MATRIX_FEATURE) ? { subgroupMatrix: matrix } : {}),
    lostReason: () => lost,
    release: () => {
      if (released) return;
      released = true;
      if (owned) device.destroy();
      onRelease?.();
    },
  };
}

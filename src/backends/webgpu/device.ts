import { BackendError } from '../../core/errors.js';
import type { WebGpuOptions } from '../options.js';

/** A device with what the plan needs to know about it. */
export interface GpuDevice {
  readonly device: GPUDevice;
  /** Adapter vendor / architecture / description, for messages and benchmark tables. */
  readonly description: string;
  readonly isSoftware: boolean;
  readonly hasTimestamps: boolean;
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

function describe(info: GPUAdapterInfo | undefined): string {
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

/** The browser's navigator.gpu, or in Node a fresh Dawn instance (loaded lazily so browser bundles never see it). */
async function gpuFactory(): Promise<GpuFactory | undefined> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) { const gpu = nav.gpu; return async () => gpu; }
  if (!isNode()) return undefined;
  // A computed specifier keeps bundlers from resolving (and trying to bundle) the native Node module.
  const moduleName = 'webgpu';
  const mod = (await import(/* @vite-ignore */ moduleName)) as { create(flags: string[]): GPU };
  // Every kernel here writes its workgroup memory before reading it, so Dawn's zero-initialisation is dead code;
  // on SwiftShader it also makes a shader with workgroup arrays take tens of seconds to compile. Timestamp queries
  // are quantised by default (~65 µs steps on the H200, a browser's guard against timing attacks), which would zero
  // most per-dispatch timings of the profiler; a Node process measuring its own work has nothing to guard.
  return async () => mod.create(['enable-dawn-features=disable_workgroup_init', 'disable-dawn-features=timestamp_quantization']);
}

async function swiftShaderAvailable(): Promise<boolean> {
  if (!isNode()) return false;
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;
  if (env['VK_ICD_FILENAMES'] || env['VK_DRIVER_FILES']) return false;
  const fsName = 'node:fs';
  const fs = (await import(/* @vite-ignore */ fsName)) as { existsSync(p: string): boolean };
  return fs.existsSync(SWIFTSHADER_ICD);
}

async function candidates(gpu: GPU, options: WebGpuOptions): Promise<GPUAdapter[]> {
  const preference = options.powerPreference ?? 'high-performance';
  const found: GPUAdapter[] = [];
  const tries: GPURequestAdapterOptions[] = options.adapterName
    ? [{ powerPreference: preference }, { powerPreference: preference === 'high-performance' ? 'low-power' : 'high-performance' }, { forceFallbackAdapter: true }]
    : [{ powerPreference: preference }];
  for (const t of tries) {
    const a = await gpu.requestAdapter(t).catch(() => null);
    if (a && !found.some((f) => describe(f.info) === describe(a.info))) found.push(a);
  }
  return found;
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
    return wrapDevice(options.device, info ? describe(info) : 'caller-provided device', software, false);
  }
  const factory = await gpuFactory();
  if (!factory) throw new BackendError('webgpu', 'this environment has no WebGPU (navigator.gpu is missing)');
  let gpu: GPU | undefined = await factory();
  let adapters = await candidates(gpu, options);
  if (adapters.length === 0 && options.allowSoftwareAdapter && (await swiftShaderAvailable())) {
    // No hardware Vulkan driver: point the loader at SwiftShader and ask a fresh Dawn instance.
    (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env['VK_ICD_FILENAMES'] = SWIFTSHADER_ICD;
    gpu = await factory();
    adapters = await candidates(gpu, options);
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
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
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
  return wrapDevice(device, describe(adapter.info), software, true, () => { keepAlive.gpu = undefined; });
}

function wrapDevice(device: GPUDevice, description: string, isSoftware: boolean, owned: boolean, onRelease?: () => void): GpuDevice {
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
    lostReason: () => lost,
    release: () => {
      if (released) return;
      released = true;
      if (owned) device.destroy();
      onRelease?.();
    },
  };
}

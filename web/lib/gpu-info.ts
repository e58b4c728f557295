/** What the page's WebGPU adapter is, in a JSON-friendly shape; `available: false` says why there is none. */
export interface AdapterReport {
  readonly available: boolean;
  /** Why WebGPU is unavailable, for the page's message. */
  readonly reason?: string;
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** True for a software adapter such as SwiftShader. */
  readonly isFallbackAdapter?: boolean;
  readonly features?: readonly string[];
  readonly limits?: Readonly<Record<string, number>>;
}

// The limits that decide whether the models fit; the full list is long and mostly irrelevant here.
const REPORTED_LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxStorageBuffersPerShaderStage',
] as const;

export async function describeAdapter(powerPreference: GPUPowerPreference = 'high-performance'): Promise<AdapterReport> {
  if (!globalThis.isSecureContext) return { available: false, reason: 'the page is not a secure context (serve it from https:// or http://localhost)' };
  if (!('gpu' in navigator) || !navigator.gpu) return { available: false, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
  const adapter = await navigator.gpu.requestAdapter({ powerPreference });
  if (!adapter) return { available: false, reason: 'navigator.gpu.requestAdapter() returned no adapter (WebGPU disabled or no usable GPU)' };
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of REPORTED_LIMITS) limits[name] = adapter.limits[name];
  // isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; read whichever this browser has.
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter
    ?? (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    available: true,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: fallback ?? false,
    features: [...adapter.features].sort(),
    limits,
  };
}

export function adapterLabel(report: AdapterReport): string {
  if (!report.available) return `no WebGPU: ${report.reason}`;
  const name = [report.vendor, report.architecture, report.device, report.description].filter((s) => s).join(' / ');
  return `${name || 'unnamed adapter'}${report.isFallbackAdapter ? ' (software fallback adapter)' : ''}`;
}

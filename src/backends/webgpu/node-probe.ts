/**
 * Node only: asks Dawn for adapters in a child process whose stderr is captured. Dawn and the Vulkan drivers write
 * their findings straight to fd 2 from native code ("Couldn't load Vulkan", a refused software driver with a
 * source path, Mesa's "XDG_RUNTIME_DIR is invalid"), which no instance option or toggle turns off; a child keeps
 * them away from the user's terminal, and when it finds no usable adapter this process never starts Dawn at all.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { MissingPackageError } from '../../core/errors.js';

/** One adapter as the probe saw it: its info, features and limits. */
export interface ProbedAdapter {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
  readonly features: readonly string[];
  readonly limits: Readonly<Record<string, number>>;
}

/** What one probe found, with the native messages it captured (shown when debugging). */
export interface ProbeResult {
  readonly adapters: readonly ProbedAdapter[];
  readonly stderr: string;
}

/** Dawn's instance flags, shared by the probe and the real instance so both see the same adapters. */
export const DAWN_FLAGS: readonly string[] = ['enable-dawn-features=disable_workgroup_init', 'disable-dawn-features=timestamp_quantization'];

/**
 * DAWN_FLAGS with Dawn's allow_unsafe_apis toggle added, which experimental features such as
 * `chromium-experimental-subgroup-matrix` need in Node: asked for only by an f16 plan that may use subgroup
 * matrices (WebGpuOptions.subgroupMatrix). One enable list, since a second `enable-dawn-features=` would replace
 * the first.
 */
export const UNSAFE_DAWN_FLAGS: readonly string[] = DAWN_FLAGS.map((f) => (f.startsWith('enable-dawn-features=') ? `${f},allow_unsafe_apis` : f));

/** True when INSIGHTGPU_DEBUG asks for every native message (the CLI's --verbose sets it). */
export function debugOutput(): boolean {
  const v = process.env['INSIGHTGPU_DEBUG'];
  return v !== undefined && v !== '' && v !== '0';
}

/** The file URL of the `webgpu` package's entry, or a MissingPackageError naming the install command. */
export function resolveWebgpuPackage(): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch (error) {
    throw new MissingPackageError('webgpu', 'WebGPU in Node', { cause: error });
  }
}

// Runs in the child: one Dawn instance, each adapter request of the list, the answers as one JSON line.
const CHILD_SCRIPT = `
const [url, flags, tries] = process.argv.slice(1).map((a, i) => i === 0 ? a : JSON.parse(a));
const { create } = await import(url);
const gpu = create(flags);
const seen = new Map();
for (const t of tries) {
  const a = await gpu.requestAdapter(t).catch(() => null);
  if (!a) continue;
  const i = a.info ?? {};
  const limits = {};
  for (const k in a.limits) if (typeof a.limits[k] === 'number') limits[k] = a.limits[k];
  const key = [i.vendor, i.architecture, i.device, i.description].join('|');
  if (!seen.has(key)) seen.set(key, { vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '',
    description: i.description ?? '', isFallbackAdapter: i.isFallbackAdapter === true || a.isFallbackAdapter === true,
    features: [...a.features].sort(), limits });
}
process.stdout.write(JSON.stringify([...seen.values()]) + '\\n');
process.exit(0);
`;

/**
 * The environment native code gets: an XDG_RUNTIME_DIR when none is set, since Mesa's Vulkan drivers complain
 * on stderr without one (the temporary folder: the drivers only look for a display socket there, which a compute
 * device never needs).
 */
export function quietNativeEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env['XDG_RUNTIME_DIR']) return env;
  return { ...env, XDG_RUNTIME_DIR: os.tmpdir() };
}

/** Requests each of `tries` from a fresh Dawn instance in a child process (Node only). */
export async function probeAdapters(tries: readonly GPURequestAdapterOptions[], env: NodeJS.ProcessEnv = process.env): Promise<ProbeResult> {
  const url = resolveWebgpuPackage();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD_SCRIPT, url, JSON.stringify(DAWN_FLAGS), JSON.stringify(tries)],
      { env: quietNativeEnv(env), timeout: 60_000, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        let adapters: ProbedAdapter[] = [];
        try {
          adapters = JSON.parse(line) as ProbedAdapter[];
        } catch {
          // A child that crashed in native code found nothing usable; its stderr says why.
          adapters = [];
        }
        resolve({ adapters, stderr: error && !stderr ? String(error.message) : stderr });
      },
    );
  });
}

export { existsSync } from 'node:fs';

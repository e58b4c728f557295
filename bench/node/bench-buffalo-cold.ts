/**
 * One cold start of the buffalo_l benchmark's pack, in a process of its own (bench-buffalo.ts starts one per side,
 * so neither engine inherits the other's compiled kernels, driver state or warmed-up JIT):
 *
 *   node --import tsx bench/node/bench-buffalo-cold.ts '<ColdSpec as JSON>'   → prints one `cold-result {…}` line
 *
 * Both sides start the clock with the five model files' bytes in memory (read before), and stop it when the first
 * result is on the CPU:
 * - ours: acquireDevice (the only part the peer has before its clock: Dawn's instance and adapter; reported apart as
 *   device_ms) + FaceAnalysis.create from the bytes + prepare + the first get() on the decoded photo (its detection,
 *   pre- and post-processing and the heads on every face found);
 * - the peer (onnxruntime-web, WebGPU EP on a Dawn adapter picked by loadOrtWebGpu, or its wasm backend on one thread
 *   for the cpu backend): creating the same five sessions one after another (the first also makes its device) + one
 *   detector forward at the det size + each head's forward on a batch of `faces` crops, outputs read back. No pre- or
 *   post-processing: that part of ours has no counterpart there.
 * The peer's wasm runtime start (compiling its .wasm, one session of the smallest head on its wasm EP, released) is
 * before its clock and reported as runtime_ms: ours has no such step (its code is loaded with the process).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { acquireDevice } from '../../src/backends/webgpu/device.js';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import { Prng } from '../../models/forge/prng.js';

/** What one cold child measures. */
export interface ColdSpec {
  readonly side: 'ours' | 'peer';
  readonly backend: 'cpu' | 'webgpu';
  /** The detector file first, then the heads. */
  readonly files: readonly string[];
  /** The heads' input names and crop sides, in `files` order after the detector (the peer feeds them). */
  readonly heads: readonly { readonly input: string; readonly size: number }[];
  readonly detectorInput: string;
  readonly image: string;
  /** [W, H]. */
  readonly detSize: readonly [number, number];
  /** Crops per head for the peer (ours runs what its detector finds). */
  readonly faces: number;
  readonly adapterName?: string;
}

export interface OursCold {
  readonly side: 'ours';
  readonly adapter: string;
  /** A software adapter (SwiftShader) or the CPU backend: not GPU numbers. */
  readonly software: boolean;
  readonly device_ms: number;
  readonly create_ms: number;
  readonly first_get_ms: number;
  /** device_ms + create_ms + first_get_ms. */
  readonly cold_ms: number;
  readonly faces: number;
}

export interface PeerCold {
  readonly side: 'peer';
  readonly peer: 'ort-web-webgpu' | 'ort-web-wasm-1T';
  readonly runtime_ms: number;
  readonly create_ms: number;
  readonly first_runs_ms: number;
  /** create_ms + first_runs_ms. */
  readonly cold_ms: number;
  readonly faces: number;
}

export type ColdResult = OursCold | PeerCold;

export const COLD_RESULT_PREFIX = 'cold-result ';

async function coldOurs(spec: ColdSpec, bytes: Record<string, Uint8Array>): Promise<OursCold> {
  const image = await loadImage(spec.image);
  const t0 = performance.now();
  const gpu = spec.backend === 'webgpu' ? await acquireDevice({ adapterName: spec.adapterName, allowSoftwareAdapter: true }) : undefined;
  const t1 = performance.now();
  const app = await FaceAnalysis.create({ models: { files: bytes }, backend: spec.backend, sessionOptions: gpu ? { webgpu: { device: gpu.device } } : undefined });
  const t2 = performance.now();
  try {
    app.prepare({ detThresh: 0.5, detSize: [spec.detSize[0], spec.detSize[1]] });
    const faces = (await app.get(image)).length;
    const t3 = performance.now();
    return { side: 'ours', adapter: gpu?.description ?? 'CPU (TypeScript)', software: gpu?.isSoftware ?? true, device_ms: t1 - t0, create_ms: t2 - t1, first_get_ms: t3 - t2, cold_ms: t3 - t0, faces };
  } finally {
    await app.release();
    gpu?.release();
  }
}

async function coldPeer(spec: ColdSpec, bytes: readonly Uint8Array[]): Promise<PeerCold> {
  const webgpu = spec.backend === 'webgpu';
  const ort = webgpu ? await (await import('./bench-webgpu.js')).loadOrtWebGpu(spec.adapterName) : await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const ep = webgpu ? 'webgpu' : 'wasm';
  const prng = new Prng(0x0b0ff);
  const [w, h] = spec.detSize;
  const detInput = new ort.Tensor('float32', prng.fillRange(3 * w * h, -1, 1), [1, 3, h, w]);
  const headInputs = spec.heads.map((head) => new ort.Tensor('float32', prng.fillRange(spec.faces * 3 * head.size * head.size, -1, 1), [spec.faces, 3, head.size, head.size]));
  // The runtime's start, off the clock: a session of the smallest file on the wasm EP (no WebGPU state).
  const smallest = bytes.slice(1).reduce((a, b) => (b.length < a.length ? b : a));
  const r0 = performance.now();
  await (await ort.InferenceSession.create(smallest, { executionProviders: ['wasm'], logSeverityLevel: 3 })).release();
  const runtimeMs = performance.now() - r0;
  const t0 = performance.now();
  const sessions = [];
  // logSeverityLevel 3: errors only (its node-placement warnings would fill the log).
  for (const b of bytes) sessions.push(await ort.InferenceSession.create(b, { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 3 }));
  const t1 = performance.now();
  await sessions[0]!.run({ [spec.detectorInput]: detInput });
  for (const [i, head] of spec.heads.entries()) await sessions[i + 1]!.run({ [head.input]: headInputs[i]! });
  const t2 = performance.now();
  for (const s of sessions) await s.release();
  return { side: 'peer', peer: webgpu ? 'ort-web-webgpu' : 'ort-web-wasm-1T', runtime_ms: runtimeMs, create_ms: t1 - t0, first_runs_ms: t2 - t1, cold_ms: t2 - t0, faces: spec.faces };
}

export async function runCold(spec: ColdSpec): Promise<ColdResult> {
  // Read before any clock starts: both sides begin from bytes in memory.
  const contents = spec.files.map((f) => new Uint8Array(readFileSync(f)));
  // Dawn in Node settles promises from its own threads; a timer keeps the event loop from emptying meanwhile. It
  // also ends this process when its parent is gone (a benchmark stopped at its time limit), so no orphan holds the GPU.
  const parent = process.ppid;
  const keepAlive = setInterval(() => { if (process.ppid !== parent) process.exit(1); }, 1000);
  try {
    if (spec.side === 'ours') return await coldOurs(spec, Object.fromEntries(spec.files.map((f, i) => [basename(f), contents[i]!])));
    return await coldPeer(spec, contents);
  } finally {
    clearInterval(keepAlive);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ColdSpec;
  const result = await runCold(spec);
  process.stdout.write(`${COLD_RESULT_PREFIX}${JSON.stringify(result)}\n`);
  // Dawn's threads can keep the process up after the work is done.
  process.exit(0);
}

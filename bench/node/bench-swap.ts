/**
 * Face-swap benchmark: one INSwapper call on t1.jpg (face 3 of the test bed's golden, the golden's source identity),
 * per backend, in one process:
 * - the forward alone, ours against onnxruntime-web (its WebGPU EP on the same Dawn adapter, or its wasm backend
 *   on one thread for the CPU row), with the ratio (goal on WebGPU ≤ 0.5×);
 * - the whole `INSwapper.get()` (crop warp, forward, paste-back) against our forward alone (goal ≤ 1.1×).
 * The model is the test bed's width-128 replica by default; `--width 1024` forges the full-size one (554 MB,
 * ~350 GFLOP a call) into .cache/replicas. A benchmark, not a test: it never asserts on time.
 *
 *   npm run bench -- --swap [--backend cpu|webgpu|both] [--width 128|…|1024] [--model FILE] [--runs N] [--warmup N]
 *                   [--no-peer] [--profile] [--json FILE]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forgeExtraModel } from '../../models/forge/index.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { InferenceSession, Tensor } from '../../src/index.js';
import { decodeImageNode } from '../../src/pipeline/decode-node.js';
import { INSwapper } from '../../src/pipeline/swap/inswapper.js';
import { BenchUsageError } from './bench-args.js';
import { cachedForgedModel } from './bench-swap-model-cache.js';
import { formatMs, maxRelativeError, measureInterleaved, median, profiledRuns } from './bench-util.js';
import { modelMacs } from './model-macs.js';
import { loadOrtWebGpu } from './bench-webgpu.js';
import { Prng } from '../../models/forge/prng.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
/** The test bed (../shared), or the copy a lent GPU machine gets (INSIGHTGPU_SHARED=.devassets). */
const SHARED = resolve(REPO, process.env['INSIGHTGPU_SHARED'] ?? '../shared');
const TEST_BED_REPLICA = join(SHARED, 'swap/inswapper_w128_seed1.onnx');

export const SWAP_BENCH_USAGE = `usage: npm run bench -- --swap [--backend cpu|webgpu|both] [--width N] [--model FILE] [--runs N] [--warmup N] [--no-peer] [--profile] [--json FILE]
  --backend     which rows (default both: webgpu where an adapter exists, then cpu)
  --width N     INSwapper replica width: 128 (default, the test bed's file) … 1024 (the real model's size, forged)
  --model FILE  an INSwapper file instead of a replica (e.g. the real inswapper_128.onnx)
  --runs N      timed rounds (default 5), --warmup N untimed first (default 1)
  --no-peer     skip onnxruntime-web
  --profile     webgpu: also one forward's summed GPU time (timestamp queries) and its FLOP rate`;

export interface SwapBenchRow {
  readonly backend: 'webgpu' | 'cpu';
  readonly adapter: string;
  readonly model: string;
  readonly ours_forward_ms: number;
  readonly peer: 'ort-web-webgpu' | 'ort-web-wasm-1t' | null;
  readonly peer_forward_ms: number | null;
  /** ours / peer, forward alone. */
  readonly forward_ratio: number | null;
  readonly ours_get_ms: number;
  /** get() / forward alone. */
  readonly get_over_forward: number;
  readonly rel_error: number | null;
  /** Conv/Gemm/MatMul multiply-accumulates of one forward, and the FLOP rate of ours on its median wall time. */
  readonly macs: number;
  readonly ours_gflops: number;
  /**
   * With --profile (webgpu): one forward's summed GPU time (its dispatches' timestamp-query durations, median of
   * three profiled runs) and the FLOP rate on it, for issue 14's yardstick comparison; null otherwise.
   */
  readonly gpu_ms: number | null;
  readonly ours_gflops_gpu: number | null;
}

interface SwapBenchOptions {
  readonly backends: readonly ('webgpu' | 'cpu')[];
  readonly model: string;
  readonly runs: number;
  readonly warmup: number;
  readonly peer: boolean;
  readonly profile: boolean;
  readonly json: string | undefined;
}

/** The model to time: the one given, the test bed's replica at width 128, or a forged one cached in .cache/replicas. */
async function modelFile(width: number, explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  if (width === 128) return TEST_BED_REPLICA;
  const file = join(REPO, `.cache/replicas/inswapper_128-w${width}-seed1.onnx`);
  return (await cachedForgedModel(file, () => forgeExtraModel('inswapper_128', 1, { width }))).file;
}

function parse(argv: readonly string[]): Omit<SwapBenchOptions, 'model'> & { readonly width: number; readonly explicitModel: string | undefined } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv.filter((a) => a !== '--' && a !== '--swap'),
      options: {
        backend: { type: 'string', default: 'both' }, width: { type: 'string', default: '128' }, model: { type: 'string' },
        runs: { type: 'string', default: '5' }, warmup: { type: 'string', default: '1' }, 'no-peer': { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false }, json: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const count = (name: string, text: string, min: number): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new BenchUsageError(`--${name} needs an integer ≥ ${min}, got '${text}'`);
    return Number(text);
  };
  const width = count('width', values.width, 8);
  if (width % 8 !== 0) throw new BenchUsageError(`--width must be a multiple of 8, got ${width}`);
  const backend = values.backend;
  if (backend !== 'cpu' && backend !== 'webgpu' && backend !== 'both') throw new BenchUsageError(`--backend is cpu, webgpu or both, got '${backend}'`);
  return {
    backends: backend === 'both' ? ['webgpu', 'cpu'] : [backend],
    width, explicitModel: values.model, runs: count('runs', values.runs, 1), warmup: count('warmup', values.warmup, 0),
    peer: !values['no-peer'], profile: values.profile, json: values.json,
  };
}

interface SwapCase {
  readonly image: Awaited<ReturnType<typeof decodeImageNode>>;
  readonly kps: Float32Array;
  readonly source: Float32Array;
}

function swapCase(): Promise<SwapCase> {
  const golden = JSON.parse(readFileSync(join(SHARED, 'swap/golden_t1/golden.json'), 'utf8')) as {
    source_normed_embedding: number[]; images: { faces: { bbox: number[]; kps: number[][] }[]; one_index: number }[];
  };
  const faces = [...golden.images[0]!.faces].sort((a, b) => a.bbox[0]! - b.bbox[0]!);
  const face = faces[golden.images[0]!.one_index]!;
  return decodeImageNode(join(SHARED, 'images/t1.jpg')).then((image) => ({ image, kps: Float32Array.from(face.kps.flat()), source: Float32Array.from(golden.source_normed_embedding) }));
}

async function benchBackend(backend: 'webgpu' | 'cpu', o: SwapBenchOptions, c: SwapCase, log: (line: string) => void): Promise<SwapBenchRow | undefined> {
  const bytes = new Uint8Array(readFileSync(o.model));
  let gpu: GpuDevice | undefined;
  if (backend === 'webgpu') {
    gpu = await acquireDevice({ allowSoftwareAdapter: true }).catch(() => undefined);
    if (!gpu) { log('webgpu: no adapter, row skipped'); return undefined; }
  }
  const sessionOptions = gpu ? { webgpu: { device: gpu.device } } : {};
  const swapper = await INSwapper.create(bytes, { backend, sessionOptions });
  const forward = await InferenceSession.create(bytes, { backend, ...sessionOptions });
  try {
    const target = new Prng(7).fillRange(3 * 128 * 128, 0, 1);
    const latent = c.source;
    const feeds = { target: new Tensor('float32', target, [1, 3, 128, 128]), source: new Tensor('float32', latent, [1, 512]) };
    // No specialized() here: the swapper's own session and this one then use the same kernel tier (generic on a
    // software adapter, the specialised ones on a real GPU once the warm-up has run), so get()/forward compares like with like.
    await swapper.get(c.image, { kps: c.kps }, c.source);
    const fns: (() => Promise<void>)[] = [async () => { await forward.run(feeds); }, async () => { await swapper.get(c.image, { kps: c.kps }, c.source); }];
    let peerRun: (() => Promise<Float32Array>) | undefined;
    let peer: SwapBenchRow['peer'] = null;
    if (o.peer) {
      const ort = backend === 'webgpu' ? await loadOrtWebGpu(undefined) : await import('onnxruntime-web');
      if (backend === 'cpu') { ort.env.wasm.numThreads = 1; ort.env.wasm.proxy = false; }
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend === 'webgpu' ? 'webgpu' : 'wasm'], graphOptimizationLevel: 'all' });
      const t = new ort.Tensor('float32', target, [1, 3, 128, 128]);
      const s = new ort.Tensor('float32', latent, [1, 512]);
      peerRun = async () => (await session.run({ target: t, source: s })).output!.data as Float32Array;
      peer = backend === 'webgpu' ? 'ort-web-webgpu' : 'ort-web-wasm-1t';
      fns.push(async () => { await peerRun!(); });
    }
    log(`${backend}: ${o.warmup} warm-up + ${o.runs} timed rounds (forward, get()${peer ? `, ${peer}` : ''}) …`);
    const [f, g, p] = await measureInterleaved(fns, o.warmup, o.runs);
    let relErr: number | null = null;
    if (peerRun) {
      const ours = (await forward.run(feeds)).output!.data as Float32Array;
      relErr = maxRelativeError(new Map([['output', ours]]), new Map([['output', await peerRun()]]));
    }
    const macs = modelMacs(bytes, 'target', [1, 3, 128, 128], { source: [1, 512] });
    const gpuMs = gpu && o.profile ? await profiledForwardMs(bytes, gpu.device, feeds) : null;
    return {
      macs, ours_gflops: (2 * macs) / (f!.median * 1e6), gpu_ms: gpuMs, ours_gflops_gpu: gpuMs ? (2 * macs) / (gpuMs * 1e6) : null,
      backend, adapter: gpu?.description ?? 'cpu', model: relative(REPO, o.model),
      ours_forward_ms: f!.median, peer, peer_forward_ms: p?.median ?? null, forward_ratio: p ? f!.median / p.median : null,
      ours_get_ms: g!.median, get_over_forward: g!.median / f!.median, rel_error: relErr,
    };
  } finally {
    await swapper.release();
    await forward.release();
    gpu?.release();
  }
}

/** One forward's summed GPU step time (timestamp queries) in a profiling session of its own, median of three runs. */
async function profiledForwardMs(bytes: Uint8Array, device: GPUDevice, feeds: Record<string, Tensor>): Promise<number> {
  const session = await InferenceSession.create(bytes, { backend: 'webgpu', webgpu: { device }, profiling: true });
  const { totals } = await profiledRuns(session, () => session.run(feeds)).finally(() => session.release());
  return median(totals);
}

/** CLI entry used by bench/node/bench.ts for `--swap`: prints the table, returns the exit code. */
export async function benchSwap(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { console.log(SWAP_BENCH_USAGE); return 0; }
  let o: SwapBenchOptions;
  try {
    const parsed = parse(argv);
    o = { ...parsed, model: await modelFile(parsed.width, parsed.explicitModel) };
  } catch (error) {
    if (error instanceof BenchUsageError) { console.error(`bench --swap: ${error.message}\n${SWAP_BENCH_USAGE}`); return 2; }
    throw error;
  }
  const c = await swapCase();
  const rows: SwapBenchRow[] = [];
  for (const b of o.backends) {
    const row = await benchBackend(b, o, c, (line) => process.stderr.write(`${line}\n`));
    if (row) rows.push(row);
  }
  const table = [['backend', 'adapter', 'ours forward', 'peer forward', 'ratio', 'ours get()', 'get/forward', 'rel err', 'GFLOP/s', 'on GPU time'],
    ...rows.map((r) => [r.backend, r.adapter, formatMs(r.ours_forward_ms), r.peer_forward_ms === null ? '—' : `${formatMs(r.peer_forward_ms)} (${r.peer})`,
      r.forward_ratio === null ? '—' : `${r.forward_ratio.toFixed(2)}×`, formatMs(r.ours_get_ms), `${r.get_over_forward.toFixed(2)}×`, r.rel_error === null ? '—' : r.rel_error.toExponential(2),
      r.ours_gflops.toPrecision(4), r.ours_gflops_gpu === null ? '—' : r.ours_gflops_gpu.toPrecision(4)])];
  const widths = table[0]!.map((_, k) => Math.max(...table.map((r) => r[k]!.length)));
  console.log(`model: ${relative(REPO, o.model)}; one swap of t1.jpg face 3 (pasteBack true)`);
  table.forEach((r, i) => { console.log(r.map((cell, k) => cell.padEnd(widths[k]!)).join('  ')); if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  ')); });
  if (o.json) writeFileSync(o.json, JSON.stringify(rows, null, 2));
  return 0;
}

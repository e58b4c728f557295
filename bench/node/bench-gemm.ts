/**
 * The fp32 GEMM rate of a plain tiled WGSL kernel (bench/node/gemm-reference.ts) on the chosen adapter: the yardstick
 * the WebGPU benchmark compares its conv-heavy models' achieved FLOP rate with; and beside it the engine's own
 * tiled GEMM core (src/ops/tiled-gemm) on the same problem, with the ratio of the two rates from the same run. Results are checked against a CPU
 * dot product on sampled entries before any rate is printed.
 *
 *   npx tsx bench/node/bench-gemm.ts [--size N[,N…]] [--json FILE] [--adapter NAME]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode, ShaderStage } from '../../src/backends/webgpu/gpu-constants.js';
import { referenceGemmShader } from './gemm-reference.js';
import type { GpuBinding, GpuDispatch } from '../../src/ops/kernel/gpu-dispatch.js';
import { matmulDispatches } from '../../src/ops/tiled-gemm/gpu.js';
import { Prng } from '../../models/forge/prng.js';

export interface GemmRow {
  readonly size: number;
  /** 'reference': the yardstick kernel; 'engine': the engine's tiled GEMM core. */
  readonly kernel: 'reference' | 'engine';
  readonly adapter: string;
  readonly ms: number;
  readonly gflops: number;
  /** Worst |C − CPU dot| / max|CPU dot| over the sampled entries. */
  readonly rel_error: number;
}

function seeded(count: number, seed: number): Float32Array {
  return new Prng(seed).fillRange(count, -1, 1);
}

function storage(device: GPUDevice, data: Float32Array | number, usage = 0): GPUBuffer {
  const size = typeof data === 'number' ? data * 4 : data.byteLength;
  const buffer = device.createBuffer({ size, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST | BufferUsage.COPY_SRC | usage });
  if (typeof data !== 'number') device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * The engine's own GEMM core on the same problem, as a conv runs it: A as repacked weights (K-major, vec4 loads),
 * B as a 1×1 conv's input rows (vec4 loads), vec4 stores, the tile the cost rule picks. A is handed over transposed.
 */
function engineGemmDispatches(size: number, maxWorkgroupsPerDimension: number): GpuDispatch[] {
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }, { kind: 'input', index: 0 }, { kind: 'input', index: 1 }];
  const declarations = `@group(0) @binding(0) var<storage, read> at: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> atv: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bv: array<vec4<f32>>;`;
  return matmulDispatches({
    m: size, n: size, k: size, batches: 1, declarations,
    loadA: `at[kIdx * ${size}u + row]`, aRowsAdjacent: true, loadA4: `atv[(kIdx * ${size}u + row) / 4u]`,
    loadB: `b[kIdx * ${size}u + col]`, loadB4: `bv[(kIdx * ${size}u + col) / 4u]`,
    store: `c[(row * ${size}u + col) / 4u][col % 4u] = v;`, store4: `c[(row * ${size}u + col) / 4u] = v4;`,
  }, bindings, { software: false, maxWorkgroupsPerDimension });
}

/** The yardstick (`engine` false) or the engine's GEMM core (`engine` true) on size³, checked on sampled entries. */
export async function measureReferenceGemm(gpu: GpuDevice, size: number, engine = false): Promise<GemmRow> {
  const { device } = gpu;
  const a = seeded(size * size, 1);
  const b = seeded(size * size, 2);
  const at = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let t = 0; t < size; t++) at[t * size + i] = a[i * size + t]!;
  const bufA = storage(device, engine ? at : a);
  const bufB = storage(device, b);
  const bufC = storage(device, size * size);
  const dispatches = engine
    ? engineGemmDispatches(size, device.limits.maxComputeWorkgroupsPerDimension)
    : [{ shader: referenceGemmShader(size, size, size), bindings: [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }] as GpuBinding[], workgroups: [size / 128, size / 128, 1] as const }];
  if (dispatches.some((d) => d.bindings.some((x) => x.kind === 'scratch'))) throw new Error(`bench-gemm: ${size}³ splits K; give a size that fills the GPU`);
  const compiled = await Promise.all(dispatches.map(async (d) => {
    const module = device.createShaderModule({ code: d.shader });
    // An explicit layout: the engine's spec declares scalar views its vec4 paths leave unused, which 'auto' would drop.
    const layout = device.createBindGroupLayout({ entries: d.bindings.map((x, binding) => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type: x.kind === 'output' ? 'storage' as const : 'read-only-storage' as const } })) });
    const pipeline = await device.createComputePipelineAsync({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' } });
    const buffers = d.bindings.map((x) => (x.kind === 'output' ? bufC : x.kind === 'input' && x.index === 1 ? bufB : bufA));
    const bindGroup = device.createBindGroup({ layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    return { pipeline, bindGroup, workgroups: d.workgroups };
  }));
  const runBatch = async (repeats: number): Promise<number> => {
    const encoder = device.createCommandEncoder();
    for (let r = 0; r < repeats; r++) {
      const pass = encoder.beginComputePass();
      for (const d of compiled) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(...d.workgroups);
      }
      pass.end();
    }
    const t = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t;
  };
  await runBatch(1); // compile, first touch
  // Enough repeats for ~0.3 s of work, so submission overhead is noise.
  const once = await runBatch(1);
  const repeats = Math.max(1, Math.min(200, Math.round(300 / Math.max(once, 0.05))));
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push((await runBatch(repeats)) / repeats);
  const ms = times.sort((x, y) => x - y)[1]!;
  // Correctness on sampled entries.
  const read = device.createBuffer({ size: size * size * 4, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(bufC, 0, read, 0, size * size * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(MapMode.READ);
  const c = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  let worst = 0;
  let scale = 0;
  for (let s = 0; s < 64; s++) {
    const i = (s * 7919) % size;
    const j = (s * 104729) % size;
    let dot = 0;
    for (let t = 0; t < size; t++) dot += a[i * size + t]! * b[t * size + j]!;
    worst = Math.max(worst, Math.abs(c[i * size + j]! - dot));
    scale = Math.max(scale, Math.abs(dot));
  }
  for (const buffer of [bufA, bufB, bufC, read]) buffer.destroy();
  return { size, kernel: engine ? 'engine' : 'reference', adapter: gpu.description, ms, gflops: (2 * size ** 3) / (ms * 1e6), rel_error: worst / scale };
}

async function main(argv: readonly string[]): Promise<number> {
  let sizes: number[] | undefined;
  let json: string | undefined;
  let adapterName: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const value = (): string => { const v = argv[++i]; if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`); return v; };
    switch (argv[i]) {
      case '--size': sizes = value().split(',').map(Number); break;
      case '--json': json = value(); break;
      case '--adapter': adapterName = value(); break;
      default: console.error(`bench-gemm: unknown argument '${argv[i]}'`); return 2;
    }
  }
  const gpu = await acquireDevice({ adapterName, allowSoftwareAdapter: true });
  const keepAlive = setInterval(() => {}, 1000);
  try {
    const rows: GemmRow[] = [];
    for (const size of sizes ?? (gpu.isSoftware ? [512] : [2048, 4096])) {
      const reference = await measureReferenceGemm(gpu, size);
      const engine = await measureReferenceGemm(gpu, size, true);
      for (const row of [reference, engine]) {
        rows.push(row);
        console.log(`${row.kernel === 'engine' ? 'engine GEMM core ' : 'reference tiled GEMM'} ${size}³: ${row.ms.toFixed(3)} ms, ${row.gflops.toPrecision(4)} GFLOP/s, sampled rel err ${row.rel_error.toExponential(1)}`);
        // fp32 dot products of length K in a different order than the CPU's double sum: ~K·ε relative at worst.
        if (!(row.rel_error < 1e-4)) { console.error(`bench-gemm: the ${row.kernel} GEMM computed wrong results; its rate means nothing`); return 1; }
      }
      console.log(`engine / reference rate at ${size}³: ${(engine.gflops / reference.gflops).toFixed(2)}`);
    }
    console.log(`adapter: ${gpu.description}`);
    if (json) writeFileSync(json, JSON.stringify(rows, null, 2));
    return 0;
  } finally {
    clearInterval(keepAlive);
    gpu.release();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}

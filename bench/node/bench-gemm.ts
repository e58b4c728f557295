/**
 * The fp32 GEMM rate of a plain tiled WGSL kernel (bench/node/gemm-reference.ts) on the chosen adapter: the yardstick
 * the WebGPU benchmark compares its conv-heavy models' achieved FLOP rate with. Results are checked against a CPU
 * dot product on sampled entries before any rate is printed.
 *
 *   npx tsx bench/node/bench-gemm.ts [--size N[,N…]] [--json FILE] [--adapter NAME]
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import { referenceGemmShader } from './gemm-reference.js';
import { Prng } from '../../models/forge/prng.js';

export interface GemmRow {
  readonly size: number;
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

export async function measureReferenceGemm(gpu: GpuDevice, size: number): Promise<GemmRow> {
  const { device } = gpu;
  const a = seeded(size * size, 1);
  const b = seeded(size * size, 2);
  const bufA = storage(device, a);
  const bufB = storage(device, b);
  const bufC = storage(device, size * size);
  const module = device.createShaderModule({ code: referenceGemmShader(size, size, size) });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [bufA, bufB, bufC].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const runBatch = async (repeats: number): Promise<number> => {
    const encoder = device.createCommandEncoder();
    for (let r = 0; r < repeats; r++) {
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(size / 128, size / 128);
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
  return { size, adapter: gpu.description, ms, gflops: (2 * size ** 3) / (ms * 1e6), rel_error: worst / scale };
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
      const row = await measureReferenceGemm(gpu, size);
      rows.push(row);
      console.log(`reference tiled GEMM ${size}³: ${row.ms.toFixed(3)} ms, ${row.gflops.toPrecision(4)} GFLOP/s, sampled rel err ${row.rel_error.toExponential(1)}`);
      // fp32 dot products of length K in a different order than the CPU's double sum: ~K·ε relative at worst.
      if (!(row.rel_error < 1e-4)) { console.error('bench-gemm: the reference GEMM computed wrong results; its rate means nothing'); return 1; }
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

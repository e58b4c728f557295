/**
 * The cpu backend's `cpuThreads` option: parallel sections over worker threads on one shared arena
 * (ops/wasm/kernel-threads.ts): GEMMs split over strips of C, Winograd and banded 3×3 convs over bands of output rows,
 * depthwise convs, padded copies and MaxPool over channels. No split touches a reduction, so every output must equal
 * the 1-thread output bit for bit (max |a−b| = 0), on conv and pool shapes of every threaded path and on two real
 * models; parallelSections proves a section ran. Bad values are InputErrors naming the option, and a process that ran
 * threads exits by itself.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InferenceSession, Tensor } from '../../src/index.js';
import { InputError } from '../../src/core/errors.js';
import { parallelSections, KernelThreads, sectionTotals } from '../../src/ops/wasm/kernel-threads.js';
import { encodeModule } from '../../src/ops/wasm/encoder.js';
import { gemmFunction } from '../../src/ops/wasm/gemm.js';
import { simdThreads } from '../../src/ops/wasm/runtime.js';
import { buildModel, DT, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { seededUniform } from '../parity/parity.js';


interface Case { readonly name: string; readonly c: number; readonly m: number; readonly k: number; readonly stride: number; readonly size: number; readonly group?: number; readonly relu?: boolean; readonly n?: number }

const cases: Case[] = [
  { name: '1×1 (pointwise)', c: 64, m: 64, k: 1, stride: 1, size: 64 },
  // Pixel-blocked at one thread, the whole-plane GEMM at two; 53² pixels leave a partial strip per row.
  { name: '1×1 on a large plane + Relu', c: 64, m: 128, k: 1, stride: 1, size: 53, relu: true },
  { name: 'stride-2 3×3 (banded)', c: 32, m: 64, k: 3, stride: 2, size: 128 },
  { name: '5×5 (im2col GEMM)', c: 8, m: 16, k: 5, stride: 1, size: 40 },
  { name: '2×2/s2 (split rows)', c: 24, m: 48, k: 2, stride: 2, size: 80 },
  // Winograd splits over bands of tile rows (an odd band count at one thread), its padded copy over channels.
  { name: 'stride-1 3×3 (Winograd) + Relu', c: 24, m: 20, k: 3, stride: 1, size: 78, relu: true },
  { name: 'stride-1 3×3 (Winograd), 300 input channels', c: 300, m: 8, k: 3, stride: 1, size: 18 },
  { name: '3×3 depthwise, stride 1', c: 40, m: 40, k: 3, stride: 1, size: 30, group: 40 },
  { name: '3×3 depthwise, stride 2', c: 24, m: 24, k: 3, stride: 2, size: 33, group: 24 },
  // Batch 2: the padded planes are rewritten per item and every item's tasks run in sections of their own.
  { name: 'stride-1 3×3 (Winograd), batch 2', c: 16, m: 16, k: 3, stride: 1, size: 41, n: 2 },
  { name: '3×3 depthwise, batch 2', c: 32, m: 32, k: 3, stride: 1, size: 50, group: 32, n: 2 },
  { name: 'stride-2 3×3 (banded), batch 2', c: 8, m: 32, k: 3, stride: 2, size: 65, n: 2 },
];

/** Runs `bytes` once with `threads`, releasing the session before returning (so the next one starts its own arena). */
async function runWith(bytes: Uint8Array, threads: number, feeds: Record<string, Tensor>): Promise<{ out: Float32Array; threads: number }> {
  const session = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: threads });
  try {
    const result = await session.run(feeds);
    return { out: result[session.outputNames[0]!]!.data as Float32Array, threads: simdThreads().threads };
  } finally {
    await session.release();
  }
}

/** Every output of one run with `threads`, the session released before returning. */
async function runAll(bytes: Uint8Array, threads: number, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const session = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: threads });
  try {
    const result = await session.run(feeds);
    return Object.fromEntries(Object.entries(result).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('cpuThreads', () => {
  for (const bad of [0, -1, 1.5, 17, 'four', Number.NaN]) {
    it(`refuses ${String(bad)} as an InputError naming cpuThreads`, async () => {
      const bytes = buildModel({ nodes: [node('Relu', ['x'], ['y'])], inputs: [valueInfo('x', DT.FLOAT, [4])], outputs: [valueInfo('y', DT.FLOAT, [4])], initializers: [] });
      await assert.rejects(InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: bad as number }), (e: unknown) => e instanceof InputError && /cpuThreads/.test(e.message));
    });
  }

  for (const t of cases) {
    it(`${t.name}: 2 threads equal 1 thread bit for bit`, async () => {
      const group = t.group ?? 1;
      const wDims = [t.m, t.c / group, t.k, t.k];
      const xDims = [t.n ?? 1, t.c, t.size, t.size];
      const pad = Math.floor((t.k - 1) / 2);
      const conv = node('Conv', ['x', 'w', 'b'], [t.relu ? 'z' : 'y'], { kernel_shape: { ints: [t.k, t.k] }, strides: { ints: [t.stride, t.stride] }, pads: { ints: [pad, pad, pad, pad] }, group: { i: group } });
      const bytes = buildModel({
        nodes: t.relu ? [conv, node('Relu', ['z'], ['y'])] : [conv],
        inputs: [valueInfo('x', DT.FLOAT, xDims)],
        outputs: [valueInfo('y', DT.FLOAT, undefined)],
        initializers: [
          tensor('w', 'float32', wDims, [...seededUniform(wDims.reduce((a, b) => a * b, 1), 2, -1, 1)]),
          tensor('b', 'float32', [t.m], [...seededUniform(t.m, 3, -1, 1)]),
        ],
        opsets: { '': 13 },
      });
      const feeds = { x: new Tensor('float32', seededUniform(xDims.reduce((a, b) => a * b, 1), 1, -1, 1), xDims) };
      const one = await runWith(bytes, 1, feeds);
      const before = parallelSections();
      const two = await runWith(bytes, 2, feeds);
      assert.equal(one.threads, 1);
      assert.equal(two.threads, 2);
      assert.ok(parallelSections() > before, 'no parallel section ran');
      assert.equal(maxAbsDiff(two.out, one.out), 0);
    });
  }

  const pools: [string, Record<string, { ints: number[] }>, number][] = [
    ['3×3/s2 padded', { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }, 81],
    ['2×2/s2 (read in place)', { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, 64],
  ];
  for (const [name, attrs, size] of pools) {
    it(`MaxPool ${name}: 2 threads equal 1 thread bit for bit`, async () => {
      const dims = [1, 24, size, size];
      const bytes = buildModel({
        nodes: [node('MaxPool', ['x'], ['y'], attrs)],
        inputs: [valueInfo('x', DT.FLOAT, dims)], outputs: [valueInfo('y', DT.FLOAT, undefined)], initializers: [], opsets: { '': 13 },
      });
      const feeds = { x: new Tensor('float32', seededUniform(24 * size * size, 9, -1, 1), dims) };
      const one = await runWith(bytes, 1, feeds);
      const before = parallelSections();
      const two = await runWith(bytes, 2, feeds);
      assert.ok(parallelSections() > before, 'no parallel section ran');
      assert.equal(maxAbsDiff(two.out, one.out), 0);
    });
  }

  for (const [file, size] of [['mobilefacenet.onnx', 112], ['scrfd_2.5g_bnkps.onnx', 320]] as const) {
    const path = `/work/shared/models/${file}`;
    it(`${file}@${size}: 2 threads equal 1 thread bit for bit on every output`, { skip: !existsSync(path) && `${path} missing` }, async () => {
      const bytes = new Uint8Array(readFileSync(path));
      const probe = await InferenceSession.create(bytes, { backend: 'cpu' });
      const input = probe.inputNames[0]!;
      await probe.release();
      const dims = [1, 3, size, size];
      const feeds = { [input]: new Tensor('float32', seededUniform(3 * size * size, 7, -1, 1), dims) };
      const one = await runAll(bytes, 1, feeds);
      const before = parallelSections();
      const two = await runAll(bytes, 2, feeds);
      assert.ok(parallelSections() > before, 'no GEMM was split over threads');
      assert.deepEqual(Object.keys(two), Object.keys(one));
      for (const name of Object.keys(one)) assert.equal(maxAbsDiff(two[name]!, one[name]!), 0, `output ${name}`);
    });
  }

  it('3 threads equal 1 thread bit for bit on scrfd_2.5g@256 (a third seat of scratch)', { skip: !existsSync('/work/shared/models/scrfd_2.5g_bnkps.onnx') && 'model missing' }, async () => {
    const bytes = new Uint8Array(readFileSync('/work/shared/models/scrfd_2.5g_bnkps.onnx'));
    const dims = [1, 3, 256, 256];
    const feeds = { 'input.1': new Tensor('float32', seededUniform(3 * 256 * 256, 11, -1, 1), dims) };
    const one = await runAll(bytes, 1, feeds);
    const before = parallelSections();
    const three = await runAll(bytes, 3, feeds);
    assert.ok(parallelSections() > before, 'no parallel section ran');
    for (const name of Object.keys(one)) assert.equal(maxAbsDiff(three[name]!, one[name]!), 0, `output ${name}`);
  });

  it('tensors between threaded convs are copied by the threads; outputs come back as ordinary arrays, equal bit for bit', async () => {
    // 32 × 64² floats between the convs: past the split-copy minimum, in the run's shared buffers.
    const dims = [1, 16, 64, 64];
    const conv = (x: string, w: string, y: string) => node('Conv', [x, w], [y], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } });
    const bytes = buildModel({
      nodes: [conv('x', 'w1', 'h'), node('Relu', ['h'], ['r']), conv('r', 'w2', 'y')],
      inputs: [valueInfo('x', DT.FLOAT, dims)], outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [
        tensor('w1', 'float32', [32, 16, 3, 3], [...seededUniform(32 * 16 * 9, 12, -1, 1)]),
        tensor('w2', 'float32', [8, 32, 3, 3], [...seededUniform(8 * 32 * 9, 13, -1, 1)]),
      ],
      opsets: { '': 13 },
    });
    const feeds = { x: new Tensor('float32', seededUniform(16 * 64 * 64, 14, -1, 1), dims) };
    const one = await runWith(bytes, 1, feeds);
    const before = sectionTotals.tasks;
    const two = await runWith(bytes, 2, feeds);
    assert.ok(sectionTotals.tasks > before, 'no parallel section ran');
    assert.ok(!(two.out.buffer instanceof SharedArrayBuffer), 'a run output is a SharedArrayBuffer view');
    assert.equal(maxAbsDiff(two.out, one.out), 0);
  });

  it('a 1-thread session alive beside a 2-thread one keeps to one thread', async () => {
    const dims = [1, 64, 48, 48];
    const bytes = buildModel({
      nodes: [node('Conv', ['x', 'w'], ['y'], { kernel_shape: { ints: [1, 1] } })],
      inputs: [valueInfo('x', DT.FLOAT, dims)], outputs: [valueInfo('y', DT.FLOAT, undefined)],
      initializers: [tensor('w', 'float32', [64, 64, 1, 1], [...seededUniform(64 * 64, 4, -1, 1)])], opsets: { '': 13 },
    });
    const feeds = { x: new Tensor('float32', seededUniform(64 * 48 * 48, 5, -1, 1), dims) };
    const two = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: 2 });
    const one = await InferenceSession.create(bytes, { backend: 'cpu' });
    try {
      const before = parallelSections();
      const a = (await one.run(feeds))['y']!.data as Float32Array;
      assert.equal(parallelSections(), before, 'the 1-thread session split a GEMM');
      const b = (await two.run(feeds))['y']!.data as Float32Array;
      assert.ok(parallelSections() > before, 'the 2-thread session split no GEMM');
      assert.equal(maxAbsDiff(a, b), 0);
    } finally {
      await one.release();
      await two.release();
    }
  });

  it('a worker that fails to start leaves the calls on the calling thread, with a reason', async () => {
    // A shared-memory module over a plain memory: every worker's instantiation throws.
    const module = new WebAssembly.Module(encodeModule([gemmFunction()], 1, true));
    const instance = new WebAssembly.Instance(module, { env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) } });
    const pool = new KernelThreads(3, module, new WebAssembly.Memory({ initial: 1 }), instance, ['gemm'], [[0, 2, 4]]);
    pool.limit = 3;
    try {
      await pool.started;
      assert.equal(pool.live, 1);
      assert.match(pool.reason ?? '', /failed to start/);
      const direct: number[] = [];
      pool.run(4, () => assert.fail('nothing is recorded without a worker'), (t) => direct.push(t));
      assert.deepEqual(direct, [0, 1, 2, 3], 'every task ran once, in order, on this thread');
    } finally {
      pool.close();
    }
  });

  it('a process that ran with threads and never released exits by itself', () => {
    const script = `
      import { InferenceSession, Tensor } from './src/index.ts';
      import { buildModel, DT, node, tensor, valueInfo } from './tests/parser/onnx-builder.ts';
      const w = Array.from({ length: 64 * 64 }, (_, i) => (i % 7) - 3);
      const bytes = buildModel({ nodes: [node('Conv', ['x', 'w'], ['y'], { kernel_shape: { ints: [1, 1] } })],
        inputs: [valueInfo('x', DT.FLOAT, [1, 64, 64, 64])], outputs: [valueInfo('y', DT.FLOAT, undefined)],
        initializers: [tensor('w', 'float32', [64, 64, 1, 1], w)], opsets: { '': 13 } });
      const s = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: 2 });
      await s.run({ x: new Tensor('float32', new Float32Array(64 * 64 * 64).fill(1), [1, 64, 64, 64]) });
      console.log('ran');
    `;
    // execFileSync returns only when the child exits; a worker holding the process open would hang it until the test runner's own timeout.
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8' });
    assert.match(out, /ran/);
  });
});

/**
 * The tiled GEMM core: the cost rule that fits a tile to each layer and the split-K rule (no device), and every
 * kernel variant — each tile shape below, vec4 or scalar loads and stores, K-major or row-major A, split-K on and
 * off — against the CPU reference on small layers with edges (M, N, K not multiples of the tile; groups, strides,
 * dilations, reflect pads and pad values; fused epilogues).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Attribute } from '../../src/core/ir.js';
import type { ConvParams } from '../../src/ops/conv/params.js';
import type { Epilogue } from '../../src/ops/epilogue/params.js';
import type { GemmParams } from '../../src/ops/gemm/cpu.js';
import {
  chooseKSplit, chooseTile, FILL_TARGET, MIN_SPLIT_STEPS, restrictTileMenu, TILE_K, TILE_MENU, threadsOf, tileColsOf, tileCost, tileRowsOf,
  workgroupBytes, workgroupsOf, type TileShape,
} from '../../src/ops/tiled-gemm/tile-menu.js';
import { tiledMatmulShader } from '../../src/ops/tiled-gemm/gpu.js';
import { gpuVersusCpu, releaseTestDevice, seededValues, testDevice, type OpCase } from './gpu-op-check.js';

const size = (m: number, n: number, k: number, batches = 1) => ({ m, n, k, batches });
const rows = (m: number, n: number, k: number): number => tileRowsOf(chooseTile(size(m, n, k)));

describe('the tile menu and its cost rule', () => {
  test('every shape fits WebGPU\'s guaranteed limits and loads B with one column per thread', () => {
    for (const t of TILE_MENU) {
      assert.ok(threadsOf(t) <= 256 && workgroupBytes(t) <= 16384, JSON.stringify(t));
      assert.ok(threadsOf(t) >= tileColsOf(t), JSON.stringify(t));
    }
  });
  test('layers whose grid fills the GPU get tiles fitted to M: 88 → 11·8 rows, 56 → 7·8, 28 → 7·4, wide → 128 at 8×8 per thread', () => {
    // det_10g's layers at 640 (M, output pixels, K) and a ResNet stage.
    const t88 = chooseTile(size(88, 25600, 792));
    assert.deepEqual([tileRowsOf(t88), t88.rm], [88, 8]);
    assert.equal(rows(56, 25600, 504), 56);
    assert.equal(rows(28, 102400, 252), 28);
    const wide = chooseTile(size(256, 12544, 576));
    assert.deepEqual([tileRowsOf(wide), wide.rm, wide.rn], [128, 8, 8]);
  });
  test('a layer that cannot fill the GPU with fitted tiles trades them for more workgroups', () => {
    const s = size(88, 6400, 792);
    const t = chooseTile(s);
    const fitted = TILE_MENU.filter((x) => tileRowsOf(x) === 88);
    assert.ok(fitted.every((x) => workgroupsOf(s, x) < FILL_TARGET), 'the fitted tiles under-fill this layer');
    assert.ok(workgroupsOf(s, t) >= FILL_TARGET, `${workgroupsOf(s, t)} workgroups`);
  });
  test('the chosen tile is the cheapest of the menu by the stated cost', () => {
    for (const s of [size(88, 6400, 792), size(3, 1, 512), size(512, 49, 4608), size(64, 3136, 576, 2)]) {
      const t = chooseTile(s);
      for (const other of TILE_MENU) assert.ok(tileCost(s, t) <= tileCost(s, other), `${JSON.stringify(other)} beats ${JSON.stringify(t)}`);
    }
  });
  test('split-K only with at least 16 K steps per split, and only for grids below the fill target', () => {
    assert.equal(chooseKSplit(size(40, 49, 400)), undefined, '25 K steps cannot make two 16-step splits');
    assert.equal(chooseKSplit(size(256, 12544, 2304)), undefined, 'a full grid is not split');
    for (const s of [size(512, 49, 4608), size(1, 24, 3000), size(512, 1, 25088), size(40, 49, 1152)]) {
      const split = chooseKSplit(s);
      assert.ok(split, JSON.stringify(s));
      assert.ok(split.chunk >= MIN_SPLIT_STEPS * TILE_K && split.chunk % TILE_K === 0 && split.splits >= 2, JSON.stringify(split));
      assert.ok((split.splits - 1) * split.chunk < s.k && split.splits * split.chunk >= s.k, 'the splits cover K once');
    }
  });
});

const ints = (...value: number[]): Attribute => ({ kind: 'ints', value });
const int = (value: number): Attribute => ({ kind: 'int', value });
const x = (...dims: number[]) => ({ dims });
const c = (...dims: number[]) => ({ dims, constant: true });
const withEpilogue = (epilogue: Epilogue) => (p: unknown) => ({ ...(p as ConvParams | GemmParams), epilogue });
const prelu = (n: number): Epilogue => ({ kind: 'prelu', slope: Float32Array.from(seededValues(n, 77), (v) => v * 0.25), residual: true });

/** Layers sized around a tile of tm rows: two row tiles, the second part-filled; pixel counts off the column tile. */
function casesFor(tm: number): Record<string, OpCase> {
  const m = tm + 4;
  return {
    // 8×10 pixels: whole vec4 of outputs (vec4 stores); K = 45; K-major A as vec4 (M % 4 == 0).
    'Conv 3x3 pad 1 + residual + PRelu (vec4 stores)': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 5, 8, 10), c(m, 5, 3, 3), c(m), x(1, m, 8, 10)], params: withEpilogue(prelu(m)) },
    // Odd M (scalar K-major A), 5×4 output pixels from stride 2 and dilation 2, two groups, pad values.
    'Conv grouped, strided, dilated, pad values': { op: 'Conv', attributes: { group: int(2), strides: ints(2, 2), dilations: ints(2, 2), pads: ints(2, 1, 2, 1) }, inputs: [x(1, 6, 9, 7), c(2 * (tm - 3), 3, 3, 3), c(2 * (tm - 3))],
      params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.of(0.5, -1.25, 2, 0.75, -0.5, 1) }) },
    'Conv 3x3 reflect pads, odd plane (scalar stores)': { op: 'Conv', attributes: { pads: ints(1, 1, 1, 1) }, inputs: [x(1, 4, 7, 5), c(m - 1, 4, 3, 3), c(m - 1)], params: (p) => ({ ...(p as ConvParams), padMode: 'reflect' }) },
    // Input channels per group a multiple of the K tile: each K tile lies within one tap (K = 288, and 144 per group).
    // Dilated, so it stays on the GEMM (stride-1, dilation-1 3×3 convs of 16+ channels run as Winograd).
    'Conv 3x3 dilated, 32 channels (tap-aligned K tiles) + Relu': { op: 'Conv', attributes: { pads: ints(2, 2, 2, 2), dilations: ints(2, 2) }, inputs: [x(1, 32, 6, 7), c(m, 32, 3, 3), c(m)],
      params: withEpilogue({ kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }) },
    'Conv 2 groups of 16 channels, stride 2, pad values (tap-aligned)': { op: 'Conv', attributes: { group: int(2), strides: ints(2, 2), pads: ints(1, 1, 1, 1) }, inputs: [x(1, 32, 7, 6), c(2 * (tm - 3), 16, 3, 3), c(2 * (tm - 3))],
      params: (p) => ({ ...(p as ConvParams), padValues: Float32Array.from(seededValues(32, 5)) }) },
    'Conv 1x1 (vec4 loads of B)': { op: 'Conv', inputs: [x(1, 20, 6, 6), c(m, 20, 1, 1), c(m)] },
    // One row of 600: few tiles and 38 K steps, so K splits in two.
    'Gemm transB + C[N], split K': { op: 'Gemm', attributes: { transB: int(1) }, inputs: [x(3, 600), c(m + 1, 600), c(m + 1)] },
    'MatMul (row-major A, run-time B)': { op: 'MatMul', inputs: [x(m - 3, 37), x(37, 70)] },
  };
}

const SHAPES: readonly TileShape[] = [
  { rm: 4, wy: 4, rn: 4, wx: 8 },
  { rm: 8, wy: 7, rn: 4, wx: 16 },
  { rm: 8, wy: 11, rn: 8, wx: 8 },
  { rm: 4, wy: 14, rn: 8, wx: 16 },
  { rm: 8, wy: 16, rn: 8, wx: 8 },
];

// 1e-4 relative (max|gpu − cpu| / max|cpu|) is the project's fp32 bound: both sides sum float32 products, in
// different orders.
const BOUND = 1e-4;

describe('every tiled GEMM variant matches the CPU reference', () => {
  after(() => { restrictTileMenu(undefined); return releaseTestDevice(); });
  for (const shape of SHAPES) {
    const tm = tileRowsOf(shape);
    for (const [name, opCase] of Object.entries(casesFor(tm))) {
      test(`${tm}×${tileColsOf(shape)} tile, ${shape.rm}×${shape.rn} per thread: ${name}`, async () => {
        assert.ok(TILE_MENU.some((t) => JSON.stringify(t) === JSON.stringify(shape)), 'the shape is on the menu');
        restrictTileMenu([shape]);
        try {
          // false: the tiled kernels, whatever the adapter.
          const { relError } = await gpuVersusCpu(opCase, false);
          assert.ok(relError <= BOUND, `relative error ${relError}`);
        } finally {
          restrictTileMenu(undefined);
        }
      });
    }
  }
});

describe('the conv lowering picks its gather and vector paths from the layer', () => {
  const lowerConv = async (cin: number, m: number, h: number, w: number, extra: Partial<ConvParams> = {}) => {
    const { findGpuKernel } = await import('../../src/ops/registry.js');
    const { ShapeValues } = await import('../../src/ops/kernel/shape-values.js');
    const params: ConvParams = { inDims: [1, cin, h, w], outDims: [1, m, h, w], kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], group: 1, rank: 4, epilogue: { kind: 'none' }, ...extra };
    const lowering = findGpuKernel('Conv')!.lower({
      node: { index: 0, name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'], attributes: new Map() }, params,
      inputs: [{ type: 'float32', dims: params.inDims }, { type: 'float32', dims: [m, cin, 3, 3] }], outputs: [{ type: 'float32', dims: params.outDims }],
      constants: [undefined, { type: 'float32', dims: [m, cin, 3, 3], data: new Float32Array(m * cin * 9) }],
      maxWorkgroupsPerDimension: 65535, software: false, shape: ShapeValues.literal(),
    });
    assert.ok(lowering?.kind === 'dispatches');
    return lowering.dispatches[0]!.shader;
  };
  // Dilation 2 (pads 2, same plane) keeps the 32-channel 3×3 convs on the GEMM: stride-1, dilation-1 ones run as
  // Winograd on the specialised tier.
  const dilated: Partial<ConvParams> = { dilations: [2, 2], pads: [2, 2, 2, 2] };
  test('tap-aligned K tiles with 16·k input channels, the masked table otherwise, division for reflect pads', async () => {
    assert.match(await lowerConv(32, 24, 6, 7, dilated), /fn sampleTap/);
    assert.match(await lowerConv(5, 24, 6, 7), /kt\[kIdx\]/);
    const reflect = await lowerConv(32, 24, 6, 7, { ...dilated, padMode: 'reflect' });
    assert.ok(!/fn sampleTap|kt\[/.test(reflect) && /kIdx \/ 32u/.test(reflect));
  });
  test('vec4 weights with Mg % 4 == 0, vec4 stores with whole vec4 of pixels', async () => {
    const vec = await lowerConv(5, 24, 8, 10);
    assert.match(vec, /var<storage, read_write> y: array<vec4<f32>>/);
    assert.match(vec, /wv\[/);
    const scalar = await lowerConv(5, 23, 7, 5);
    assert.match(scalar, /var<storage, read_write> y: array<f32>/);
    assert.ok(!/wv\[/.test(scalar));
  });
});

describe('the generic tier runs the tiled kernel with its sizes in uniforms', () => {
  after(releaseTestDevice);
  test('differently sized convs share one generic text per tile shape', async () => {
    const { findGpuKernel } = await import('../../src/ops/registry.js');
    const { ShapeValues } = await import('../../src/ops/kernel/shape-values.js');
    const conv = (h: number, cin: number, m: number, k: number) => {
      const pad = (k - 1) / 2;
      const lowering = findGpuKernel('Conv')!.lower({
        node: { index: 0, name: 'c', opType: 'Conv', domain: '', inputs: ['x', 'w', 'b'], outputs: ['y'], attributes: new Map() },
        params: { inDims: [1, cin, h, h], outDims: [1, m, h, h], kernel: [k, k], strides: [1, 1], dilations: [1, 1], pads: [pad, pad, pad, pad], group: 1, rank: 4, epilogue: { kind: 'none' } } satisfies ConvParams,
        inputs: [{ type: 'float32', dims: [1, cin, h, h] }, { type: 'float32', dims: [m, cin, k, k] }, { type: 'float32', dims: [m] }],
        outputs: [{ type: 'float32', dims: [1, m, h, h] }],
        constants: [undefined, { type: 'float32', dims: [m, cin, k, k], data: new Float32Array(m * cin * k * k) }],
        maxWorkgroupsPerDimension: 65535, software: true, softwareAdapter: false, shape: ShapeValues.uniform(),
      });
      assert.ok(lowering?.kind === 'dispatches' && lowering.dispatches.length === 1);
      const d = lowering.dispatches[0]!;
      assert.match(d.shader, /var<workgroup>/, 'the tiled kernel');
      return d.shader;
    };
    // All of them pick the 32×64 tile (a few hundred output pixels, up to 64 channels).
    const texts = new Set([conv(20, 16, 32, 3), conv(24, 8, 24, 7), conv(16, 64, 64, 1), conv(18, 3, 16, 5)]);
    assert.equal(texts.size, 1);
  });
  for (const [name, opCase] of Object.entries(casesFor(28))) {
    test(`generic tiled kernel (scalar loads and stores, no split): ${name}`, async () => {
      const { relError } = await gpuVersusCpu(opCase, false, 'generic');
      assert.ok(relError <= BOUND, `relative error ${relError}`);
    });
  }
});

// The epilogue's own locals must not shadow an op's bindings: a spec whose output is named `c`, with N off the vec4
// (the scalar store loop) and K split (the partial-sum loop), still compiles.
describe('the tiled kernel\'s locals', () => {
  after(releaseTestDevice);
  test('an output buffer called c compiles in the scalar and split-K stores', async () => {
    const { gpu } = await testDevice();
    const spec = {
      m: 8, n: 6, k: 4096, batches: 1,
      declarations: '@group(0) @binding(0) var<storage, read> a: array<f32>;\n@group(0) @binding(1) var<storage, read> b: array<f32>;\n@group(0) @binding(2) var<storage, read_write> c: array<f32>;',
      loadA: 'a[row * 4096u + kIdx]', loadB: 'b[kIdx * 6u + col]', store: 'c[row * 6u + col] = v;', store4: 'c[row * 6u + col] = v4.x;',
    };
    const tile = chooseTile(spec);
    const split = chooseKSplit(spec, tile);
    assert.ok(split, 'this problem is split along K');
    const part = '\n@group(0) @binding(3) var<storage, read_write> part: array<f32>;';
    for (const code of [tiledMatmulShader(spec, tile).shader, tiledMatmulShader({ ...spec, declarations: spec.declarations + part }, tile, split).shader]) {
      assert.match(code, /var<storage, read_write> c: array<f32>/);
      const info = await gpu.device.createShaderModule({ code }).getCompilationInfo();
      assert.deepEqual(info.messages.filter((m) => m.type === 'error').map((m) => m.message), []);
    }
  });
});

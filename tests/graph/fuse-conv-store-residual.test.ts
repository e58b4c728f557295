/**
 * Issue 14 item 3's store and residual fusions: a Transpose after a conv becomes the conv's store order, and a
 * nearest Resize feeding a conv's residual Add becomes the residual's read. Each on small graphs (odd sizes, sizes
 * that are not exact multiples, mappings that are not ⌊y/f⌋ and so stay unfused) and on the real SCRFD-2.5G export,
 * against onnxruntime-node on the unfused model within the fp32 bound (1e-4 of max |value|, PARITY_BOUND). The
 * WebGPU runs (SwiftShader, small inputs) check the same plans' kernels.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { DT, buildModel, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';
import { PARITY_BOUND, seededUniform } from '../parity/parity.js';
import { sharedPath } from '../pipeline/helpers.js';
import { errorAgainstOrt, plan } from './pass-check.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const arr = (n: number, seed: number): number[] => [...seededUniform(n, seed, -0.5, 0.5)];

/** x [1, 4, h, w] → Conv 3×3 (6 channels) → Transpose(perm) → Reshape [-1, 6] → Sigmoid: SCRFD's score head. */
function headModel(perm: number[], h: number, w: number): Uint8Array {
  return buildModel({
    inputs: [valueInfo('x', DT.FLOAT, [1, 4, h, w])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [tensor('w', 'float32', [6, 4, 3, 3], arr(216, 1)), tensor('b', 'float32', [6], arr(6, 2)), tensor('shape', 'int64', [2], [-1, 6])],
    nodes: [
      node('Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } }),
      node('Transpose', ['c'], ['t'], { perm: { ints: perm } }),
      node('Reshape', ['t', 'shape'], ['r']),
      node('Sigmoid', ['r'], ['y']),
    ],
  });
}

/**
 * The FPN top-down step: x [1, 4, h, w] → coarse = Conv 3×3 stride 2 (6 channels); fine = Conv 1×1 of x (pads
 * `finePads`); y = fine + Resize(coarse) to the fine size, by `sizes` (as the SCRFD exports) or `scales`.
 */
function lateralModel(h: number, w: number, resize: { attributes: Record<string, AttrValue>; scales?: number[]; finePads?: number[] }): Uint8Array {
  const pads = resize.finePads ?? [0, 0, 0, 0];
  const fine = [1, 6, h + pads[0]! + pads[2]!, w + pads[1]! + pads[3]!];
  const resizeInputs = resize.scales ? ['coarse', '', 'scales'] : ['coarse', '', '', 'sizes'];
  return buildModel({
    opsets: { '': 13 },
    inputs: [valueInfo('x', DT.FLOAT, [1, 4, h, w])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('wc', 'float32', [6, 4, 3, 3], arr(216, 3)), tensor('bc', 'float32', [6], arr(6, 4)),
      tensor('wf', 'float32', [6, 4, 1, 1], arr(24, 5)), tensor('bf', 'float32', [6], arr(6, 6)),
      resize.scales ? tensor('scales', 'float32', [4], resize.scales) : tensor('sizes', 'int64', [4], fine),
    ],
    nodes: [
      node('Conv', ['x', 'wc', 'bc'], ['coarse'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } }),
      node('Conv', ['x', 'wf', 'bf'], ['fine'], { kernel_shape: { ints: [1, 1] }, pads: { ints: pads } }),
      node('Resize', resizeInputs, ['up'], resize.attributes),
      node('Add', ['fine', 'up'], ['y']),
    ],
  });
}

const SCRFD_RESIZE = { coordinate_transformation_mode: { s: 'asymmetric' }, mode: { s: 'nearest' }, nearest_mode: { s: 'floor' } };

describe('a Transpose after a conv becomes its store order', () => {
  it('Conv → Transpose(2, 3, 0, 1) → Reshape → Sigmoid: one Conv and a view, within 1e-4 of onnxruntime (cpu, webgpu)', async () => {
    const bytes = headModel([2, 3, 0, 1], 5, 7);
    const { opTypes, convs } = plan(bytes, [1, 4, 5, 7]);
    assert.deepEqual(opTypes, ['Conv', 'Reshape']);
    // [5, 7, 1, 6]: a channel step is 1, a pixel step 6.
    assert.deepEqual(convs[0]!.storeStrides, { batch: 6, channel: 1, pixel: 6 });
    assert.equal(convs[0]!.epilogue.kind, 'unary');
    for (const backend of ['cpu', 'webgpu'] as const) {
      const err = await errorAgainstOrt(bytes, [1, 4, 5, 7], backend);
      assert.ok(err <= PARITY_BOUND, `${backend}: relative error ${err}`);
    }
  });
  it('keeps a Transpose that swaps the pixel axes (no single pixel stride), still within 1e-4 of onnxruntime', async () => {
    const bytes = headModel([0, 1, 3, 2], 5, 7);
    assert.deepEqual(plan(bytes, [1, 4, 5, 7]).opTypes, ['Conv', 'Transpose', 'Reshape']);
    const err = await errorAgainstOrt(bytes, [1, 4, 5, 7], 'cpu');
    assert.ok(err <= PARITY_BOUND, `relative error ${err}`);
  });
});

describe('a nearest Resize into a conv\'s residual becomes the residual\'s read', () => {
  const cases: { name: string; h: number; w: number; resize: Parameters<typeof lateralModel>[2]; fused: boolean }[] = [
    { name: 'sizes, ×2 exactly (8×10 from 4×5)', h: 8, w: 10, resize: { attributes: SCRFD_RESIZE }, fused: true },
    // 7×9 from 4×5: scales 1.75 and 1.8, and floor(y / 1.75) = ⌊y/2⌋ for every y < 7 (likewise x).
    { name: 'sizes, odd fine plane (7×9 from 4×5)', h: 7, w: 9, resize: { attributes: SCRFD_RESIZE }, fused: true },
    { name: 'scales 2, half_pixel, round_prefer_floor (ONNX defaults for nearest)', h: 8, w: 6, resize: { attributes: { mode: { s: 'nearest' } }, scales: [1, 1, 2, 2] }, fused: true },
    // 9×9 from 4×4: scale 2.25, and floor(8 / 2.25) = 3, not 4: not the ⌊y/2⌋ mapping, so the Resize stays.
    { name: 'sizes 9×9 from 4×4 (no integer factor maps it)', h: 8, w: 8, resize: { attributes: SCRFD_RESIZE, finePads: [1, 1, 0, 0] }, fused: false },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.fused ? 'fused' : 'kept'}, within 1e-4 of onnxruntime (cpu${c.fused ? ', webgpu' : ''})`, async () => {
      const bytes = lateralModel(c.h, c.w, c.resize);
      const { opTypes, convs } = plan(bytes, [1, 4, c.h, c.w]);
      assert.deepEqual(opTypes, c.fused ? ['Conv', 'Conv'] : ['Conv', 'Resize', 'Conv']);
      if (c.fused) assert.ok(convs[1]!.epilogue.residualUpsample, 'the lateral conv reads the coarse map');
      for (const backend of c.fused ? ['cpu', 'webgpu'] as const : ['cpu'] as const) {
        const err = await errorAgainstOrt(bytes, [1, 4, c.h, c.w], backend);
        assert.ok(err <= PARITY_BOUND, `${backend}: relative error ${err}`);
      }
    });
  }
});

describe('SCRFD-2.5G (the det_10g export style)', () => {
  const scrfd = new Uint8Array(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')));
  it('its 9 head Transposes and 2 FPN Resizes fuse at 640, and at 80×80 (coarse levels 3 → 5 → 10); cpu and webgpu at 80×80 within 1e-4 of onnxruntime', async () => {
    const count = (ops: readonly string[], op: string): number => ops.filter((o) => o === op).length;
    const before = parseModel(scrfd).graph.nodes.map((n) => n.opType);
    assert.deepEqual([count(before, 'Transpose'), count(before, 'Resize')], [9, 2]);
    for (const size of [640, 80]) {
      const { opTypes } = plan(scrfd, [1, 3, size, size]);
      assert.deepEqual([count(opTypes, 'Transpose'), count(opTypes, 'Resize')], [0, 0], `at ${size}`);
    }
    for (const backend of ['cpu', 'webgpu'] as const) {
      const err = await errorAgainstOrt(scrfd, [1, 3, 80, 80], backend);
      assert.ok(err <= PARITY_BOUND, `${backend}: relative error ${err}`);
    }
  });
});

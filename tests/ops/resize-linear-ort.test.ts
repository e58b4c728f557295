/**
 * A linear Resize equals onnxruntime's within 1e-4 (max-abs difference over max-abs) under every coordinate mode, on
 * the CPU and WebGPU backends, including align_corners with a scale whose product with the input length is not whole
 * (3 × 2.5 = 7.5 → 7 outputs), where onnxruntime divides by the output length less one. WebGPU runs on SwiftShader
 * in CI; a missing adapter fails the test rather than skipping it.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { DT, buildModel, node, tensor, valueInfo } from '../parser/onnx-builder.js';

// Dawn finds SwiftShader (a CPU Vulkan driver) through this ICD when no GPU exists.
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const TOLERANCE = 1e-4;
const COORDINATE_MODES = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
/** Input [h, w] with scales or output sizes: whole and fractional products, down- and upsampling, scale 1 on an axis. */
const CASES: { h: number; w: number; scales?: [number, number]; sizes?: [number, number] }[] = [
  { h: 3, w: 3, scales: [2.5, 2.5] }, { h: 4, w: 3, scales: [1.7, 2.5] }, { h: 2, w: 4, scales: [1, 0.6] }, { h: 5, w: 7, scales: [0.7, 0.3] },
  { h: 4, w: 5, scales: [1.75, 1.5] }, { h: 3, w: 4, scales: [2, 2] }, { h: 4, w: 4, scales: [1, 3] }, { h: 6, w: 10, scales: [0.5, 0.25] },
  { h: 2, w: 2, scales: [0.5, 0.5] }, { h: 1, w: 4, scales: [1, 2.3] },
  { h: 2, w: 7, sizes: [5, 3] }, { h: 5, w: 4, sizes: [1, 3] }, { h: 3, w: 8, sizes: [7, 5] }, { h: 1, w: 4, sizes: [1, 9] },
];

function resizeModel(cm: string, opset: number, h: number, w: number, scales?: [number, number], sizes?: [number, number]): Uint8Array {
  return buildModel({
    opsets: { '': opset },
    inputs: [valueInfo('x', DT.FLOAT, [1, 2, h, w])],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: [
      tensor('roi', 'float32', [0], []),
      tensor('scales', 'float32', scales ? [4] : [0], scales ? [1, 1, ...scales] : []),
      ...(sizes ? [tensor('sizes', 'int64', [4], [1, 2, ...sizes])] : []),
    ],
    nodes: [node('Resize', ['x', 'roi', 'scales', ...(sizes ? ['sizes'] : [])], ['y'], { mode: { s: 'linear' }, coordinate_transformation_mode: { s: cm } })],
  });
}

/** max |ours − ort| / max |ort|, or Infinity when the shapes differ. */
function relativeError(got: Float32Array, want: Float32Array): number {
  if (got.length !== want.length) return Infinity;
  let diff = 0; let range = 0;
  for (let i = 0; i < want.length; i++) { diff = Math.max(diff, Math.abs(got[i]! - want[i]!)); range = Math.max(range, Math.abs(want[i]!)); }
  return diff / range;
}

describe('linear Resize against onnxruntime', () => {
  let gpu: GpuDevice | undefined;
  after(() => gpu?.release());

  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`agrees within ${TOLERANCE} under every coordinate mode (${backend})`, async () => {
      if (backend === 'webgpu') gpu = await acquireDevice({ allowSoftwareAdapter: true });
      const mismatches: string[] = [];
      for (const opset of [11, 13]) for (const cm of COORDINATE_MODES) for (const { h, w, scales, sizes } of CASES) {
        const bytes = resizeModel(cm, opset, h, w, scales, sizes);
        // Distinct, non-linear values, so a wrong tap or weight shows.
        const x = Float32Array.from({ length: 2 * h * w }, (_, i) => ((i * 7) % 11) - 3 + i * 0.25);
        const ours = await InferenceSession.create(bytes, backend === 'cpu' ? { backend } : { backend, webgpu: { device: gpu!.device } });
        const peer = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
        const got = (await ours.run({ x: new Tensor('float32', x, [1, 2, h, w]) })).y!.data as Float32Array;
        const want = (await peer.run({ x: new ort.Tensor('float32', x, [1, 2, h, w]) })).y!.data as Float32Array;
        await ours.release();
        await peer.release();
        const error = relativeError(got, want);
        if (!(error <= TOLERANCE)) mismatches.push(`opset ${opset} ${cm} ${h}x${w} ${scales ? `scales ${scales}` : `sizes ${sizes}`}: error ${error.toPrecision(3)}`);
      }
      assert.deepEqual(mismatches, []);
    });
  }
});

/**
 * The exact float32 arithmetic of the GPU paste-back (blur-gpu.ts, paste-back-gpu.ts), done in integers in WGSL,
 * against JavaScript's on the CPU path: `Math.fround(a·b + c)` (a float64 product and sum, then float32) for the
 * blur, `Math.fround(v / 255)` and `Math.fround(v·n)` for the blend. Random operands over 2^−40 … 2^9 and the edge
 * values (0, 1, 255, powers of two); every result must have the same bits. SwiftShader, under a second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { acquireDevice, type GpuDevice } from '../../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../../src/backends/webgpu/gpu-constants.js';
import { FMA_F64_ROUNDED_WGSL } from '../../../src/pipeline/swap/blur-gpu.js';
import { BLEND_ARITHMETIC_WGSL } from '../../../src/pipeline/swap/paste-back-gpu.js';
import { seededRandom } from '../helpers.js';

process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const KERNEL = /* wgsl */ `
${FMA_F64_ROUNDED_WGSL}
${BLEND_ARITHMETIC_WGSL}
@group(0) @binding(0) var<storage, read> operands: array<f32>;
@group(0) @binding(1) var<storage, read_write> results: array<f32>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= arrayLength(&operands) / 4u) { return; }
  let a = operands[4u * i];
  results[3u * i] = fmaF64Rounded(a, operands[4u * i + 1u], operands[4u * i + 2u]);
  results[3u * i + 1u] = div255(a);
  results[3u * i + 2u] = times(a, u32(operands[4u * i + 3u]));
}
`;

describe('the GPU paste-back\'s integer float32 arithmetic equals JavaScript\'s (SwiftShader)', () => {
  let gpu: GpuDevice;
  before(async () => { gpu = await acquireDevice({ allowSoftwareAdapter: true }); });
  after(() => gpu?.release());

  it('fround(a·b + c), fround(v / 255) and fround(v·n) on 32 768 operand sets', async () => {
    const rnd = seededRandom(13);
    const f = Math.fround;
    const scaled = (lo: number, hi: number): number => f(rnd() * 2 ** Math.floor(lo + rnd() * (hi - lo)));
    const edges = [0, 1, 255, 0.5, 2 ** -20, 127.5, f(1 / 3), f(254.99998)];
    const count = 32768;
    const ops = new Float32Array(4 * count);
    for (let i = 0; i < count; i++) {
      const pick = (lo: number, hi: number): number => (rnd() < 0.05 ? edges[Math.floor(rnd() * edges.length)]! : scaled(lo, hi));
      // a: mask values, sums and weights; b: kernel weights; c: partial sums (also far smaller or larger than a·b).
      ops.set([pick(-40, 9), pick(-20, 1), rnd() < 0.1 ? 0 : pick(-45, 9), Math.floor(rnd() * 256)], 4 * i);
    }
    const { device } = gpu;
    const input = device.createBuffer({ size: ops.byteLength, usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
    device.queue.writeBuffer(input, 0, ops);
    const output = device.createBuffer({ size: 12 * count, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: 12 * count, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code: KERNEL }), entryPoint: 'main' } });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: input } }, { binding: 1, resource: { buffer: output } }] }));
    pass.dispatchWorkgroups(count / 64);
    pass.end();
    encoder.copyBufferToBuffer(output, 0, staging, 0, 12 * count);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MapMode.READ);
    const got = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    for (const b of [input, output, staging]) b.destroy();
    const wrong: string[] = [];
    for (let i = 0; i < count; i++) {
      const [a, b, c, n] = [ops[4 * i]!, ops[4 * i + 1]!, ops[4 * i + 2]!, ops[4 * i + 3]!];
      const expected = [f(a * b + c), f(a / 255), f(a * n)];
      const names = [`fround(${a}·${b} + ${c})`, `fround(${a} / 255)`, `fround(${a}·${n})`];
      for (let k = 0; k < 3; k++) if (!Object.is(got[3 * i + k], expected[k])) wrong.push(`${names[k]}: ${got[3 * i + k]} vs ${expected[k]}`);
    }
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} results differ`);
  });
});

/**
 * Conv on NHWC activations, for measuring the layout choice of the product's NCHW conv (src/ops/conv/gpu.ts)
 * against the alternative: the same tiling code (`matmulDispatches`, imported unchanged) and the same depthwise
 * approach, with NHWC index math. Not a product kernel: bench/node/bench-layout.ts times it beside the NCHW one and
 * tests/webgpu/conv-nhwc.test.ts checks it against the CPU reference.
 *
 * Layouts: activations [n][h][w][c], outputs [n][ho][wo][m], weights repacked once on the host so the GEMM's K index
 * runs over (tap, input channel) with the channel fastest — contiguous in NHWC memory within one tap.
 *
 * An NHWC implicit GEMM can be oriented two ways, and which is natural depends on the kernel variant:
 * - 'weights-rows' (A = weights [m][kh][kw][cg], B = the im2col view with output pixels as columns): the product's
 *   orientation. The direct kernel (software adapters) gives each thread one pixel, so its window setup is done once
 *   and its reads walk contiguous channels. No vec4 loads: four adjacent columns are pixels c floats apart.
 * - 'pixel-rows' (A = the im2col view with output pixels as rows, B = weights [kh][kw][cg][m]): the usual NHWC GEMM on
 *   GPUs. Adjacent threads of the tiled kernel's A loads read adjacent channels of one pixel (coalesced), B gets vec4
 *   loads over four contiguous output channels, and each thread stores four contiguous output channels.
 */
import type { ConvParams } from '../../src/ops/conv/params.js';
import { epilogueWgsl } from '../../src/ops/epilogue/gpu.js';
import type { GpuBinding, GpuDispatch } from '../../src/ops/kernel/gpu-dispatch.js';
import { matmulDispatches, type TiledMatmulSpec } from '../../src/ops/tiled-gemm/gpu.js';
import { declareBindings, grid } from '../../src/ops/kernel/wgsl.js';
import { BackendError } from '../../src/core/errors.js';
import type { GpuDevice } from '../../src/backends/webgpu/device.js';
import { BufferUsage, MapMode } from '../../src/backends/webgpu/gpu-constants.js';
import type { PipelineCache } from '../../src/backends/webgpu/pipeline-cache.js';

export type NhwcGemm = 'weights-rows' | 'pixel-rows';

export interface NhwcLowerOptions {
  /** The direct (no workgroup memory) GEMM variant, as the product uses on software adapters. */
  readonly software: boolean;
  readonly maxWorkgroupsPerDimension: number;
  readonly gemm: NhwcGemm;
}

/** Depthwise: as in the product, one group per channel with one output channel each. */
export function isDepthwise(p: ConvParams): boolean {
  return p.group === p.inDims[1] && p.outDims[1] === p.inDims[1];
}

function isPointwise(p: ConvParams): boolean {
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  return kh === 1 && kw === 1 && sh === 1 && sw === 1 && p.pads.every((v) => v === 0);
}

/** [n][c][h][w] → [n][h][w][c]. */
export function nchwToNhwc(x: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [n, c, h, w] = dims;
  const y = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < hw; i++) y[(b * hw + i) * c + ch] = x[(b * c + ch) * hw + i]!;
  return y;
}

/** [n][h][w][c] → [n][c][h][w]; `dims` are the NCHW dims. */
export function nhwcToNchw(x: Float32Array, dims: readonly [number, number, number, number]): Float32Array {
  const [n, c, h, w] = dims;
  const y = new Float32Array(x.length);
  const hw = h * w;
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < hw; i++) y[(b * c + ch) * hw + i] = x[(b * hw + i) * c + ch]!;
  return y;
}

/**
 * ONNX weights [m][cg][kh][kw] in the layout the NHWC lowering reads: depthwise [kh][kw][c] (adjacent threads are
 * adjacent channels), 'weights-rows' [m][kh][kw][cg], 'pixel-rows' [group][kh][kw][cg][mg].
 */
export function repackWeightsNhwc(p: ConvParams, w: Float32Array, gemm: NhwcGemm): Float32Array {
  const [, c] = p.inDims;
  const [, m] = p.outDims;
  const [kh, kw] = p.kernel;
  const taps = kh * kw;
  const cg = c / p.group;
  const mg = m / p.group;
  const k = taps * cg;
  const out = new Float32Array(w.length);
  for (let o = 0; o < m; o++) {
    for (let ci = 0; ci < cg; ci++) {
      for (let t = 0; t < taps; t++) {
        const v = w[(o * cg + ci) * taps + t]!;
        if (isDepthwise(p)) out[t * c + o] = v;
        else if (gemm === 'weights-rows') out[o * k + t * cg + ci] = v;
        else {
          const g = Math.floor(o / mg);
          out[(g * k + t * cg + ci) * mg + (o % mg)] = v;
        }
      }
    }
  }
  return out;
}

type Extra = readonly { readonly binding: GpuBinding; readonly name: string }[];

function bindingsOf(extra: Extra): { bindings: GpuBinding[]; decl: string } {
  const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, { kind: 'output', index: 0 }, ...extra.map((e) => e.binding)];
  const names = ['x', 'w', 'y', ...extra.map((e) => e.name)];
  return { bindings, decl: declareBindings(bindings, names, names.map(() => 'f32')) };
}

/**
 * The dispatches of one NHWC conv. Bindings as the product's conv: input 0 = x (NHWC), input 1 = the weights from
 * `repackWeightsNhwc` with the same `gemm`, input 2 = bias, input 3 = residual (NHWC), output 0 = y (NHWC).
 */
export function lowerConvNhwc(p: ConvParams, hasBias: boolean, options: NhwcLowerOptions): GpuDispatch[] {
  const ep = epilogueWgsl(p.epilogue, hasBias ? { kind: 'input', index: 2 } : undefined, p.epilogue.residual ? { kind: 'input', index: 3 } : undefined);
  if (isDepthwise(p)) return [depthwiseNhwc(p, ep.bindings, ep.fn, options.maxWorkgroupsPerDimension)];
  if (options.gemm === 'pixel-rows' && options.software) {
    // The direct kernel gives a thread one GEMM column and eight rows: here one output channel and eight pixels, so
    // the window gather would run eight times per K step and thin layers would leave most threads idle. Not a fair
    // NHWC kernel (and SwiftShader takes about a minute to compile one), so the pairing is refused.
    throw new BackendError('webgpu', "NHWC 'pixel-rows' has no direct (software) variant; use 'weights-rows'");
  }
  const { spec, bindings } = options.gemm === 'weights-rows' ? weightsRowsSpec(p, ep.bindings, ep.fn) : pixelRowsSpec(p, ep.bindings, ep.fn, options.software);
  return matmulDispatches(spec, bindings, options);
}

interface GemmConv {
  readonly spec: TiledMatmulSpec;
  readonly bindings: readonly GpuBinding[];
}

/** The numbers both GEMM orientations write into their index math. */
function windowGeometry(p: ConvParams) {
  const [, c, h, w] = p.inDims;
  const [n, m, ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const cg = c / p.group;
  return { n, m, mg: m / p.group, h, w, c, cg, wo, kw, sh, sw, dh, dw, pt, pl, hw: ho * wo, k: kh * kw * cg };
}

function weightsRowsSpec(p: ConvParams, extra: Extra, epilogueFn: string): GemmConv {
  const { n, m, mg, h, w, c, cg, wo, kw, sh, sw, dh, dw, pt, pl, hw, k } = windowGeometry(p);
  const { bindings, decl } = bindingsOf(extra);
  const loadA = `w[(z * ${mg}u + row) * ${k}u + kIdx]`;
  // Output element (pixel col, channel z·mg + row) sits at col·m + channel.
  const store = `let ch = z * ${mg}u + row;
      let idx = col * ${m}u + ch;
      y[idx] = epilogue(v, ch, idx);`;
  const base = { m: mg, n: n * hw, k, batches: p.group, loadA, store };
  if (isPointwise(p)) {
    // 1×1 stride 1: output pixel col is input pixel col.
    return { bindings, spec: { ...base, declarations: `${decl}\n${epilogueFn}`, loadB: `x[col * ${c}u + z * ${cg}u + kIdx]` } };
  }
  const columnSetup = `let pix = col % ${hw}u;
  let iy0 = i32(pix / ${wo}u) * ${sh} - ${pt};
  let ix0 = i32(pix % ${wo}u) * ${sw} - ${pl};
  let xBase = col / ${hw}u * ${h * w * c}u + z * ${cg}u;`;
  const helper = `fn sampleInput(xBase: u32, iy0: i32, ix0: i32, kIdx: u32) -> f32 {
  let tap = kIdx / ${cg}u;
  let ci = kIdx % ${cg}u;
  let iy = iy0 + i32(tap / ${kw}u) * ${dh};
  let ix = ix0 + i32(tap % ${kw}u) * ${dw};
  if (iy < 0 || iy >= ${h} || ix < 0 || ix >= ${w}) { return 0.0f; }
  return x[xBase + (u32(iy) * ${w}u + u32(ix)) * ${c}u + ci];
}`;
  return { bindings, spec: { ...base, declarations: `${decl}\n${epilogueFn}\n${helper}`, columnSetup, loadB: 'sampleInput(xBase, iy0, ix0, kIdx)' } };
}

function pixelRowsSpec(p: ConvParams, extra: Extra, epilogueFn: string, software: boolean): GemmConv {
  const { n, m, mg, h, w, c, cg, wo, kw, sh, sw, dh, dw, pt, pl, hw, k } = windowGeometry(p);
  const { bindings, decl } = bindingsOf(extra);
  const loadB = `w[(z * ${k}u + kIdx) * ${mg}u + col]`;
  // Four adjacent GEMM columns are four contiguous output channels of the repacked weights (aligned when mg % 4 == 0).
  const vec4Weights = !software && mg % 4 === 0;
  const loadB4 = vec4Weights ? `wv[((z * ${k}u + kIdx) * ${mg}u + col) / 4u]` : undefined;
  if (vec4Weights) bindings.push({ kind: 'input', index: 1 });
  const wvDecl = vec4Weights ? `\n@group(0) @binding(${bindings.length - 1}) var<storage, read> wv: array<vec4<f32>>;` : '';
  const store = `let ch = z * ${mg}u + col;
      let idx = row * ${m}u + ch;
      y[idx] = epilogue(v, ch, idx);`;
  const base = { m: n * hw, n: mg, k, batches: p.group, loadB, loadB4, store };
  if (isPointwise(p)) return { bindings, spec: { ...base, declarations: `${decl}${wvDecl}\n${epilogueFn}`, loadA: `x[row * ${c}u + z * ${cg}u + kIdx]` } };
  // A's loader sees only (row, kIdx, z): the pixel's window origin is recomputed per element (constant divisors).
  const helper = `fn sampleInput(row: u32, kIdx: u32, z: u32) -> f32 {
  let pix = row % ${hw}u;
  let tap = kIdx / ${cg}u;
  let iy = i32(pix / ${wo}u) * ${sh} - ${pt} + i32(tap / ${kw}u) * ${dh};
  let ix = i32(pix % ${wo}u) * ${sw} - ${pl} + i32(tap % ${kw}u) * ${dw};
  if (iy < 0 || iy >= ${h} || ix < 0 || ix >= ${w}) { return 0.0f; }
  return x[row / ${hw}u * ${h * w * c}u + (u32(iy) * ${w}u + u32(ix)) * ${c}u + z * ${cg}u + kIdx % ${cg}u];
}`;
  return { bindings, spec: { ...base, declarations: `${decl}${wvDecl}\n${epilogueFn}\n${helper}`, loadA: 'sampleInput(row, kIdx, z)' } };
}

const DEPTHWISE_WORKGROUP = 128;

/** The product's depthwise approach (one thread per output, the window looped) with channels fastest. */
function depthwiseNhwc(p: ConvParams, extra: Extra, epilogueFn: string, maxPerDim: number): GpuDispatch {
  const [n, c, h, w] = p.inDims;
  const [, , ho, wo] = p.outDims;
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations;
  const [pt, pl] = p.pads;
  const { bindings, decl } = bindingsOf(extra);
  const total = n * c * ho * wo;
  const g = grid(total, DEPTHWISE_WORKGROUP, maxPerDim);
  const shader = `${decl}
${epilogueFn}
@compute @workgroup_size(${DEPTHWISE_WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${DEPTHWISE_WORKGROUP}u + lid;
  if (i >= ${total}u) { return; }
  let ch = i % ${c}u;
  let pixel = i / ${c}u;
  let ox = pixel % ${wo}u;
  let oy = (pixel / ${wo}u) % ${ho}u;
  let iy0 = i32(oy) * ${sh} - ${pt};
  let ix0 = i32(ox) * ${sw} - ${pl};
  let xBase = pixel / ${ho * wo}u * ${h * w * c}u + ch;
  var acc = 0.0f;
  for (var ky = 0; ky < ${kh}; ky++) {
    let iy = iy0 + ky * ${dh};
    if (iy < 0 || iy >= ${h}) { continue; }
    for (var kx = 0; kx < ${kw}; kx++) {
      let ix = ix0 + kx * ${dw};
      if (ix < 0 || ix >= ${w}) { continue; }
      acc += x[xBase + (u32(iy) * ${w}u + u32(ix)) * ${c}u] * w[u32(ky * ${kw} + kx) * ${c}u + ch];
    }
  }
  y[i] = epilogue(acc, ch, i);
}
`;
  return { shader, bindings, workgroups: g.workgroups };
}

/**
 * Runs one conv's dispatches outside the product's plan: buffers for its inputs and output, pipelines from a
 * PipelineCache, bind groups built once. `encode` records the dispatches into a pass (for timing loops).
 */
export class ConvDispatchRunner {
  private constructor(
    private readonly gpu: GpuDevice,
    readonly output: GPUBuffer,
    readonly outputLength: number,
    private readonly owned: GPUBuffer[],
    private readonly steps: readonly { pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: readonly [number, number, number] }[],
  ) {}

  /** `inputs[i]` backs binding kind 'input' index i (undefined for an absent optional input). */
  static async create(gpu: GpuDevice, cache: PipelineCache, dispatches: readonly GpuDispatch[], inputs: readonly (Float32Array | undefined)[],
    outputLength: number, label: string): Promise<ConvDispatchRunner> {
    const { device } = gpu;
    const owned: GPUBuffer[] = [];
    const upload = (data: Float32Array | Int32Array | Uint32Array): GPUBuffer => {
      // Padded to 16 bytes so a vec4 view of any buffer covers whole elements.
      const buffer = device.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 16) * 16), usage: BufferUsage.STORAGE | BufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
      owned.push(buffer);
      return buffer;
    };
    const inputBuffers = inputs.map((d) => (d ? upload(d) : undefined));
    const output = device.createBuffer({ size: Math.max(16, Math.ceil(outputLength / 4) * 16), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
    owned.push(output);
    const scratchBytes = Math.max(0, ...dispatches.flatMap((d) => d.bindings.map((b) => (b.kind === 'scratch' ? b.bytes : 0))));
    const scratch = scratchBytes > 0 ? device.createBuffer({ size: Math.ceil(scratchBytes / 16) * 16, usage: BufferUsage.STORAGE }) : undefined;
    if (scratch) owned.push(scratch);
    const bufferOf = (b: GpuBinding): GPUBuffer => {
      switch (b.kind) {
        case 'input': {
          const buffer = inputBuffers[b.index];
          if (!buffer) throw new BackendError('webgpu', `${label}: binding reads absent input ${b.index}`);
          return buffer;
        }
        case 'output': return output;
        case 'data': return upload(b.data);
        case 'scratch': return scratch!;
        // Uniform shape values come only from the generic kernel tier; the layout benchmark times literal kernels.
        default: throw new BackendError('webgpu', `${label}: unexpected binding kind '${(b as { kind: string }).kind}'`);
      }
    };
    const steps = await Promise.all(dispatches.map(async (d) => {
      const signature = d.bindings.map((b) => (b.kind === 'output' || b.kind === 'scratch' ? 'w' : 'r')).join('');
      const pipeline = await cache.get(d.shader, signature, label);
      const bindGroup = device.createBindGroup({
        layout: cache.layout(signature),
        entries: d.bindings.map((b, binding) => ({ binding, resource: { buffer: bufferOf(b) } })),
      });
      return { pipeline, bindGroup, workgroups: d.workgroups };
    }));
    return new ConvDispatchRunner(gpu, output, outputLength, owned, steps);
  }

  encode(pass: GPUComputePassEncoder): void {
    for (const s of this.steps) {
      pass.setPipeline(s.pipeline);
      pass.setBindGroup(0, s.bindGroup);
      pass.dispatchWorkgroups(...s.workgroups);
    }
  }

  /** One run, then the output read back. */
  async runAndRead(): Promise<Float32Array> {
    const { device } = this.gpu;
    const bytes = this.outputLength * 4;
    const read = device.createBuffer({ size: Math.ceil(bytes / 16) * 16, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    device.pushErrorScope('validation');
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.encode(pass);
    pass.end();
    encoder.copyBufferToBuffer(this.output, 0, read, 0, read.size);
    device.queue.submit([encoder.finish()]);
    const error = await device.popErrorScope();
    if (error) throw new BackendError('webgpu', `conv run failed: ${error.message}`);
    await read.mapAsync(MapMode.READ);
    const out = new Float32Array(read.getMappedRange().slice(0, bytes));
    read.unmap();
    read.destroy();
    return out;
  }

  dispose(): void {
    for (const b of this.owned) b.destroy();
  }
}

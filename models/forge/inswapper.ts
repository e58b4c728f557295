/**
 * inswapper_128: InsightFace's face-swap generator (../shared/spec/inswapper.md), as PyTorch's opset-11 exporter
 * writes it: reflect Pads with pads as an int64 input, instance normalisation spelled out as ReduceMean/Sub/Mul/
 * Sqrt/Div, the identity injection as a Gemm on `source` sliced into γ and β, linear Resizes, and the 512×512
 * `emap` as the last initializer, which no node uses. `width` 1024 is the real model's; smaller multiples of 8
 * keep every layer kind and the I/O contract at a fraction of the cost.
 */
import { InputError } from '../../src/core/errors.js';
import { describeValue } from '../../src/core/option-shape.js';
import { OnnxGraphBuilder, attr, type AttrValue } from './onnx-writer.js';
import type { Prng } from './prng.js';
import { convWeight } from './weights.js';

/**
 * inswapper_128's channel width; smaller widths give a replica with the same topology at a fraction of the cost.
 */
export const INSWAPPER_WIDTH = 1024;
const LATENT = 512;
const RESIDUAL_BLOCKS = 6;
const LEAKY_SLOPE = 0.2;

/** A width is a multiple of 8 from 8 up; anything else (a fraction, a string) is an InputError. */
export function checkInswapperWidth(width: unknown): void {
  if (typeof width !== 'number' || !Number.isSafeInteger(width) || width < 8 || width % 8 !== 0) {
    throw new InputError(`width must be a positive multiple of 8, got ${describeValue(width)}`);
  }
}

export function buildInswapper(prng: Prng, width = INSWAPPER_WIDTH): OnnxGraphBuilder {
  checkInswapperWidth(width);
  const W = width;
  const graph = new OnnxGraphBuilder('torch-jit-export');
  let counter = 0;
  const constant = (dims: readonly number[], data: Float32Array | BigInt64Array): string =>
    graph.addInitializer(`onnx::c_${++counter}`, data instanceof Float32Array ? 'float32' : 'int64', dims, data);
  const ints = (values: readonly number[]): string => constant([values.length], BigInt64Array.from(values.map(BigInt)));
  const scalar = (value: number): string => constant([], Float32Array.of(value));
  const node = (opType: string, inputs: string[], attributes?: Readonly<Record<string, AttrValue>>, output?: string): string => {
    const k = ++counter;
    const out = output ?? String(k);
    graph.addNode({ name: `${opType}_${k}`, opType, inputs, outputs: [out], ...(attributes ? { attributes } : {}) });
    return out;
  };

  const conv = (x: string, cin: number, cout: number, k: number, stride = 1, pad = 0, gain = Math.SQRT2): string => {
    const w = constant([cout, cin, k, k], convWeight(prng, cout, cin, k, k, gain));
    const b = constant([cout], prng.fill(cout, 0.05));
    return node('Conv', [x, w, b], {
      dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([k, k]),
      pads: attr.ints([pad, pad, pad, pad]), strides: attr.ints([stride, stride]),
    });
  };
  const reflect = (x: string, p: number): string => node('Pad', [x, ints([0, 0, p, p, 0, 0, p, p])], { mode: attr.string('reflect') });
  const leaky = (x: string): string => node('LeakyRelu', [x], { alpha: attr.float(LEAKY_SLOPE) });
  const upsample = (x: string): string => node('Resize', [x, constant([0], new Float32Array(0)), constant([4], Float32Array.of(1, 1, 2, 2))], {
    coordinate_transformation_mode: attr.string('pytorch_half_pixel'), cubic_coeff_a: attr.float(-0.75),
    mode: attr.string('linear'), nearest_mode: attr.string('floor'),
  });
  /** Reflect pad, 3×3 conv, instance norm written out, then γ·y + β from a Gemm on the latent. */
  const unit = (x: string, relu: boolean): string => {
    const fcW = constant([2 * W, LATENT], prng.fill(2 * W * LATENT, 0.3));
    const fcB = constant([2 * W], Float32Array.from({ length: 2 * W }, (_, i) => (i < W ? 1 : 0)));
    let s = node('Gemm', ['source', fcW, fcB], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) });
    s = node('Unsqueeze', [s], { axes: attr.ints([2]) });
    s = node('Unsqueeze', [s], { axes: attr.ints([3]) });
    const gamma = node('Slice', [s, ints([0]), ints([W]), ints([1])]);
    const beta = node('Slice', [s, ints([W]), ints([2 * W]), ints([1])]);
    let y = conv(reflect(x, 1), W, W, 3);
    y = node('Sub', [y, node('ReduceMean', [y], { axes: attr.ints([2, 3]), keepdims: attr.int(1) })]);
    let v = node('ReduceMean', [node('Mul', [y, y])], { axes: attr.ints([2, 3]), keepdims: attr.int(1) });
    v = node('Sqrt', [node('Add', [v, scalar(1e-8)])]);
    v = node('Div', [scalar(1), v]);
    y = node('Add', [node('Mul', [gamma, node('Mul', [y, v])]), beta]);
    return relu ? node('Relu', [y]) : y;
  };

  graph.addInput('target', 'float32', [1, 3, 128, 128]);
  graph.addInput('source', 'float32', [1, LATENT]);
  let x = reflect('target', 3);
  x = leaky(conv(x, 3, W / 8, 7));
  x = leaky(conv(x, W / 8, W / 4, 3, 1, 1));
  x = leaky(conv(x, W / 4, W / 2, 3, 2, 1));
  x = leaky(conv(x, W / 2, W, 3, 2, 1));
  for (let b = 0; b < RESIDUAL_BLOCKS; b++) x = node('Add', [x, unit(unit(x, true), false)]);
  x = leaky(conv(upsample(x), W, W / 2, 3, 1, 1));
  x = leaky(conv(upsample(x), W / 2, W / 4, 3, 1, 1));
  x = leaky(conv(x, W / 4, W / 8, 3, 1, 1));
  x = conv(reflect(x, 3), W / 8, 3, 7, 1, 0, 0.5);
  x = node('Add', [node('Tanh', [x]), scalar(1)]);
  node('Div', [x, scalar(2)], undefined, 'output');
  graph.addOutput('output', 'float32', [1, 3, 128, 128]);
  // emap: the latent map InsightFace reads as the last initializer; no node uses it.
  graph.addInitializer('buff2fs', 'float32', [LATENT, LATENT], prng.fill(LATENT * LATENT, 1 / Math.sqrt(LATENT)));
  return graph;
}

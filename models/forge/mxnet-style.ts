/**
 * Size-matched stand-ins for the three MXNet-converted heads (models.md §4.1): the real layer lists are not
 * public, so these follow the I/O contract and export conventions exactly (input `data`, output `fc1`,
 * in-graph normalisation by `_minusscalar0`/`_mulscalar0` or a `bn_data` BatchNorm, bias-free convs with
 * separate BatchNorms of epsilon 2e-5, PRelu slopes [C,1,1], GlobalAveragePool → Flatten → Gemm(transB)).
 * Node names are MXNet layer names and every node's output is named after the node, as mx2onnx writes them.
 */
import { OnnxGraphBuilder, attr, type AttrValue } from './onnx-writer.js';
import type { Prng } from './prng.js';
import { RELU_GAIN, convWeight, nearIdentityBatchNorm, preluGain, preluSlopes, smallBias } from './weights.js';

const BN_EPSILON = 2e-5;
const PRELU_SLOPE = 0.25;

class MxnetGraph {
  constructor(readonly graph: OnnxGraphBuilder, readonly prng: Prng) {}

  node(name: string, opType: string, inputs: string[], attributes?: Record<string, AttrValue>): string {
    this.graph.addNode({ name, opType, inputs, outputs: [name], ...(attributes ? { attributes } : {}) });
    return name;
  }

  conv(name: string, x: string, cin: number, cout: number, k: number, stride: number, gain: number, group = 1): string {
    const w = this.graph.addInitializer(`${name}_weight`, 'float32', [cout, cin / group, k, k], convWeight(this.prng, cout, cin / group, k, k, gain));
    const pad = (k - 1) / 2;
    return this.node(name, 'Conv', [x, w], {
      dilations: attr.ints([1, 1]), group: attr.int(group), kernel_shape: attr.ints([k, k]),
      pads: attr.ints([pad, pad, pad, pad]), strides: attr.ints([stride, stride]),
    });
  }

  batchNorm(name: string, x: string, channels: number, options?: Parameters<typeof nearIdentityBatchNorm>[2], fixGamma = false): string {
    const s = nearIdentityBatchNorm(this.prng, channels, options);
    if (fixGamma) s.scale.fill(1); // MXNet fix_gamma=True exports a gamma of ones
    const g = this.graph;
    return this.node(name, 'BatchNormalization', [x,
      g.addInitializer(`${name}_gamma`, 'float32', [channels], s.scale),
      g.addInitializer(`${name}_beta`, 'float32', [channels], s.bias),
      g.addInitializer(`${name}_moving_mean`, 'float32', [channels], s.mean),
      g.addInitializer(`${name}_moving_var`, 'float32', [channels], s.variance)],
    { epsilon: attr.float(BN_EPSILON), momentum: attr.float(0.9) });
  }

  prelu(name: string, x: string, channels: number): string {
    const slope = this.graph.addInitializer(`${name}_gamma`, 'float32', [channels, 1, 1], preluSlopes(this.prng, channels));
    return this.node(name, 'PRelu', [x, slope]);
  }

  /** Conv (no bias) → BatchNorm → PRelu, MXNet's Conv/BN/Act unit with act_type prelu. */
  convUnit(prefix: string, x: string, cin: number, cout: number, k: number, stride: number, group = 1): string {
    const c = this.conv(`${prefix}_conv2d`, x, cin, cout, k, stride, preluGain(PRELU_SLOPE), group);
    return this.prelu(`${prefix}_relu`, this.batchNorm(`${prefix}_batchnorm`, c, cout), cout);
  }

  /** GlobalAveragePool → Flatten → Gemm named `fc1`. */
  head(x: string, channels: number, outputs: number, gain: number): string {
    const pooled = this.node('pool1', 'GlobalAveragePool', [x]);
    const flat = this.node('flatten0', 'Flatten', [pooled], { axis: attr.int(1) });
    const w = this.graph.addInitializer('fc1_weight', 'float32', [outputs, channels], this.prng.fill(outputs * channels, gain / Math.sqrt(channels)));
    const b = this.graph.addInitializer('fc1_bias', 'float32', [outputs], smallBias(this.prng, outputs));
    return this.node('fc1', 'Gemm', [flat, w, b], { alpha: attr.float(1), beta: attr.float(1), transA: attr.int(0), transB: attr.int(1) });
  }

  /** In-graph (x − 127.5) · 0.0078125, the converted `_minus_scalar` / `_mul_scalar` pair. */
  scalarNormalise(x: string): string {
    const sub = this.node('_minusscalar0', 'Sub', [x, this.graph.addInitializer('_minusscalar0_scalar', 'float32', [1], new Float32Array([127.5]))]);
    return this.node('_mulscalar0', 'Mul', [sub, this.graph.addInitializer('_mulscalar0_scalar', 'float32', [1], new Float32Array([0.0078125]))]);
  }
}

export interface MobileNetConfig {
  readonly graphName: string;
  readonly inputSize: number;
  /** MobileNetV1 width multiplier (channels 32·width … 1024·width). */
  readonly width: number;
  readonly firstStride: number;
  readonly outputs: number;
}

export const LANDMARK_2D_106: MobileNetConfig = { graphName: 'mxnet_converted_model', inputSize: 192, width: 0.5, firstStride: 2, outputs: 212 };
export const GENDER_AGE: MobileNetConfig = { graphName: 'mxnet_converted_model', inputSize: 96, width: 0.25, firstStride: 1, outputs: 3 };

/** MobileNetV1's 13 depthwise-separable units: pointwise width (at multiplier 1) and depthwise stride. */
const MOBILENET_UNITS: readonly (readonly [number, number])[] = [
  [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2], [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
];

export function buildMobileNetHead(config: MobileNetConfig, prng: Prng): OnnxGraphBuilder {
  const graph = new OnnxGraphBuilder(config.graphName);
  const m = new MxnetGraph(graph, prng);
  const input = graph.addInput('data', 'float32', ['None', 3, config.inputSize, config.inputSize]);
  let channels = 32 * config.width;
  let x = m.convUnit('conv_1', m.scalarNormalise(input), 3, channels, 3, config.firstStride);
  MOBILENET_UNITS.forEach(([pointwise, stride], i) => {
    const out = pointwise * config.width;
    x = m.convUnit(`conv_${i + 2}_dw`, x, channels, channels, 3, stride, channels);
    x = m.convUnit(`conv_${i + 2}`, x, channels, out, 1, 1);
    channels = out;
  });
  graph.addOutput(m.head(x, channels, config.outputs, 1), 'float32', ['None', config.outputs]);
  return graph;
}

const RESNET50_STAGES = [3, 4, 6, 3] as const;
const RESNET50_WIDTHS = [256, 512, 1024, 2048] as const;
/** Scales each bottleneck's last conv so the residual stream stays O(1) over 16 blocks. */
const RESIDUAL_BRANCH_GAIN = 0.5;

/** 1k3d68 stand-in: `bn_data` on raw pixels, ResNet-50 v1 (ReLU, stride on the 3×3), GAP, Gemm 2048→3309. */
export function buildResNet50Landmark3d(prng: Prng): OnnxGraphBuilder {
  const graph = new OnnxGraphBuilder('mxnet_converted_model');
  const m = new MxnetGraph(graph, prng);
  const input = graph.addInput('data', 'float32', ['None', 3, 192, 192]);
  // bn_data normalises raw 0…255 pixels: running mean ≈ 127.5, variance ≈ 128², gamma fixed at 1.
  let x = m.batchNorm('bn_data', input, 3, { meanShift: 127.5, varianceScale: 128 * 128 }, true);
  const relu = (name: string, v: string): string => m.node(name, 'Relu', [v]);
  x = relu('relu0', m.batchNorm('bn0', m.conv('conv0', x, 3, 64, 7, 2, RELU_GAIN), 64));
  x = m.node('pooling0', 'MaxPool', [x], { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([2, 2]) });
  let channels = 64;
  let plus = 0;
  RESNET50_STAGES.forEach((blocks, stage) => {
    const width = RESNET50_WIDTHS[stage]!;
    const mid = width / 4;
    for (let unit = 1; unit <= blocks; unit++) {
      const p = `stage${stage + 1}_unit${unit}`;
      const stride = unit === 1 && stage > 0 ? 2 : 1;
      let b = relu(`${p}_relu1`, m.batchNorm(`${p}_bn1`, m.conv(`${p}_conv1`, x, channels, mid, 1, 1, RELU_GAIN), mid));
      b = relu(`${p}_relu2`, m.batchNorm(`${p}_bn2`, m.conv(`${p}_conv2`, b, mid, mid, 3, stride, RELU_GAIN), mid));
      b = m.batchNorm(`${p}_bn3`, m.conv(`${p}_conv3`, b, mid, width, 1, 1, RESIDUAL_BRANCH_GAIN), width);
      const shortcut = unit === 1 ? m.batchNorm(`${p}_sc_bn`, m.conv(`${p}_sc`, x, channels, width, 1, stride, 1), width) : x;
      x = relu(`${p}_relu`, m.node(`_plus${plus++}`, 'Add', [b, shortcut]));
      channels = width;
    }
  });
  graph.addOutput(m.head(x, channels, 3309, 1), 'float32', ['None', 3309]);
  return graph;
}

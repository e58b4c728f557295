/**
 * SCRFD detectors (ResNet-style backbone, PAFPN neck, per-level heads with keypoints) in the export style of
 * the real scrfd_2.5g_bnkps.onnx, which det_10g shares (models.md §2.1): BN folded into biased convs, ReLU,
 * MaxPool 2/2 stem, AveragePool(ceil)+1×1 shortcuts, Resize fed by an in-graph Shape/Gather/Slice/Concat
 * sub-graph, Transpose [2,3,0,1] + Reshape [-1,k] heads, Mul by a 0-d scale on the box branch, Sigmoid scores.
 */
import { OnnxGraphBuilder, attr } from './onnx-writer.js';
import type { Prng } from './prng.js';
import { TorchExportStyle } from './torch-export-style.js';
import { RELU_GAIN, convWeight, smallBias } from './weights.js';

export interface ScrfdConfig {
  readonly graphName: string;
  readonly stemChannels: readonly [number, number, number];
  readonly stageBlocks: readonly [number, number, number, number];
  readonly stageWidths: readonly [number, number, number, number];
  readonly neckChannels: number;
  readonly headChannels: number;
  readonly headConvs: number;
  /** The number the exporter gave the stride-8 score output; every other output name follows from it. */
  readonly firstScoreOutput: number;
  /** Per-level score logit on flat image regions (sigmoid(−2) ≈ 0.12). */
  readonly scoreBias: readonly [number, number, number];
  /**
   * Gain of the score conv's weights relative to He scaling: how far image detail moves the logit. With 4 and a
   * bias of −2, the share of t1.jpg's 16,800 anchors at 640² scoring above 0.5 was 6.1% for the default seed and
   * 1.8%, 0.19%, 3.2% for seeds 1, 2, 3 (the spread of the features, hence of the logits, varies with the seed).
   */
  readonly scoreGain: number;
}

/** SCRFD-10GF with BN and keypoints, as in buffalo_l (models.md §2.2). */
export const DET_10G: ScrfdConfig = {
  graphName: 'torch-jit-export',
  stemChannels: [28, 28, 56],
  stageBlocks: [3, 4, 2, 3],
  stageWidths: [56, 88, 88, 224],
  neckChannels: 56,
  headChannels: 80,
  headConvs: 3,
  firstScoreOutput: 448,
  scoreBias: [-2, -2, -2],
  scoreGain: 4,
};

/** SCRFD-2.5GF with BN and keypoints: the real file in the test bed, used to check the builder's structure. */
export const SCRFD_2_5G: ScrfdConfig = {
  graphName: 'torch-jit-export',
  stemChannels: [12, 12, 24],
  stageBlocks: [3, 5, 3, 2],
  stageWidths: [24, 48, 48, 80],
  neckChannels: 24,
  headChannels: 64,
  headConvs: 2,
  firstScoreOutput: 446,
  scoreBias: [-2, -2, -2],
  scoreGain: 4,
};

const STRIDES = [8, 16, 32] as const;
const ANCHORS_PER_CELL = 2;
/** A residual branch's last conv is scaled down so that stacked blocks do not grow activations geometrically. */
const RESIDUAL_BRANCH_GAIN = 0.5;

const conv3x3 = (stride: number) => ({
  dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([3, 3]),
  pads: attr.ints([1, 1, 1, 1]), strides: attr.ints([stride, stride]),
});
const conv1x1 = {
  dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([1, 1]),
  pads: attr.ints([0, 0, 0, 0]), strides: attr.ints([1, 1]),
};

export function buildScrfd(config: ScrfdConfig, prng: Prng): OnnxGraphBuilder {
  const graph = new OnnxGraphBuilder(config.graphName);
  const t = new TorchExportStyle(graph);
  const input = graph.addInput('input.1', 'float32', [1, 3, '?', '?']);

  /** A conv whose BatchNorm the exporter folded: numbered output, weight and bias from the folded counter. */
  const foldedConv = (x: string, cin: number, cout: number, k: 1 | 3, stride: number, gain: number): string => {
    t.skipTraced(2); // the conv's and the BN's traced outputs disappear with the fold
    const out = t.foldedValue();
    const w = graph.addInitializer(t.foldedValue(), 'float32', [cout, cin, k, k], convWeight(prng, cout, cin, k, k, gain));
    const b = graph.addInitializer(t.foldedValue(), 'float32', [cout], smallBias(prng, cout));
    return t.node('Conv', [x, w, b], k === 3 ? conv3x3(stride) : conv1x1, out);
  };
  /** A conv without norm: its parameters keep their PyTorch names. */
  const namedConv = (x: string, prefix: string, cin: number, cout: number, k: 1 | 3, stride: number,
    weight: Float32Array, bias: Float32Array | string): string => {
    const w = graph.addInitializer(`${prefix}.weight`, 'float32', [cout, cin, k, k], weight);
    const b = typeof bias === 'string' ? bias : graph.addInitializer(`${prefix}.bias`, 'float32', [cout], bias);
    return t.node('Conv', [x, w, b], k === 3 ? conv3x3(stride) : conv1x1);
  };
  const relu = (x: string): string => t.node('Relu', [x]);

  // Stem.
  const [s1, s2, s3] = config.stemChannels;
  let x = relu(foldedConv(input, 3, s1, 3, 2, RELU_GAIN));
  x = relu(foldedConv(x, s1, s2, 3, 1, RELU_GAIN));
  x = relu(foldedConv(x, s2, s3, 3, 1, RELU_GAIN));
  x = t.node('MaxPool', [x], { ceil_mode: attr.int(0), kernel_shape: attr.ints([2, 2]), pads: attr.ints([0, 0, 0, 0]), strides: attr.ints([2, 2]) });

  // Backbone stages of BasicBlocks; C3, C4, C5 feed the neck.
  let channels = s3;
  const features: string[] = [];
  for (let stage = 0; stage < 4; stage++) {
    const width = config.stageWidths[stage]!;
    for (let block = 0; block < config.stageBlocks[stage]!; block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      const branch = relu(foldedConv(x, channels, width, 3, stride, RELU_GAIN));
      const main = foldedConv(branch, width, width, 3, 1, RESIDUAL_BRANCH_GAIN);
      let shortcut = x;
      if (stride !== 1 || channels !== width) {
        const pooled = t.node('AveragePool', [x], { ceil_mode: attr.int(1), kernel_shape: attr.ints([2, 2]), pads: attr.ints([0, 0, 0, 0]), strides: attr.ints([2, 2]) });
        shortcut = foldedConv(pooled, channels, width, 1, 1, 1);
      }
      x = relu(t.node('Add', [main, shortcut]));
      channels = width;
    }
    if (stage > 0) features.push(x);
  }

  // PAFPN neck (no norm, no activation): laterals, top-down with Resize, fpn convs, bottom-up.
  const nc = config.neckChannels;
  const neckConv = (x: string, prefix: string, cin: number, k: 1 | 3, stride: number, bias?: string): string =>
    namedConv(x, prefix, cin, nc, k, stride, convWeight(prng, nc, cin, k, k, 1), bias ?? smallBias(prng, nc));
  const lateral = features.map((f, i) => neckConv(f, `neck.lateral_convs.${i}.conv`, config.stageWidths[i + 1]!, 1, 1));
  const topDown4 = t.node('Add', [lateral[1]!, resizeLike(t, lateral[2]!, lateral[1]!)]);
  const topDown3 = t.node('Add', [lateral[0]!, resizeLike(t, topDown4, lateral[0]!)]);
  const fpn3 = neckConv(topDown3, 'neck.fpn_convs.0.conv', nc, 3, 1);
  const fpn4 = neckConv(topDown4, 'neck.fpn_convs.1.conv', nc, 3, 1);
  const fpn5 = neckConv(lateral[2]!, 'neck.fpn_convs.2.conv', nc, 3, 1);
  const up4 = t.node('Add', [fpn4, neckConv(fpn3, 'neck.downsample_convs.0.conv', nc, 3, 2)]);
  // The real files store this bias once under the fpn conv's name (the exporter merged two equal tensors).
  const up5 = t.node('Add', [fpn5, neckConv(up4, 'neck.downsample_convs.1.conv', nc, 3, 2, 'neck.fpn_convs.2.conv.bias')]);
  const levels = [fpn3, neckConv(up4, 'neck.pafpn_convs.0.conv', nc, 3, 1), neckConv(up5, 'neck.pafpn_convs.1.conv', nc, 3, 1)];

  // Heads, weights not shared between levels.
  const hc = config.headChannels;
  const outputs: { score: string; box: string; kps: string }[] = [];
  levels.forEach((feature, level) => {
    const stride = STRIDES[level]!;
    let h = feature;
    for (let i = 0; i < config.headConvs; i++) h = relu(foldedConv(h, i === 0 ? nc : hc, hc, 3, 1, RELU_GAIN));
    const tag = `(${stride}, ${stride})`;
    const a = ANCHORS_PER_CELL;
    const cls = namedConv(h, `bbox_head.stride_cls.${tag}`, hc, a, 3, 1,
      zeroSumTaps(convWeight(prng, a, hc, 3, 3, config.scoreGain), 9), smallBias(prng, a, 0.05, config.scoreBias[level]!));
    // Box distances in stride units must mostly be positive for boxes to look like boxes: bias ≈ 2 strides.
    const reg = namedConv(h, `bbox_head.stride_reg.${tag}`, hc, 4 * a, 3, 1,
      convWeight(prng, 4 * a, hc, 3, 3, 0.25), prng.fillRange(4 * a, 1.5, 3));
    const scale = graph.addInitializer(`bbox_head.scales.${level}.scale`, 'float32', [], prng.fillRange(1, 0.85, 1.15));
    const scaled = t.node('Mul', [reg, scale]);
    const kps = namedConv(h, `bbox_head.stride_kps.${tag}`, hc, 10 * a, 3, 1,
      convWeight(prng, 10 * a, hc, 3, 3, 0.25), prng.fillRange(10 * a, -1, 1));
    const flatten = (v: string, k: number): string => {
      const transposed = t.node('Transpose', [v], { perm: attr.ints([2, 3, 0, 1]) });
      return t.node('Reshape', [transposed, t.constant('int64', [2], new BigInt64Array([-1n, BigInt(k)]))]);
    };
    const score = t.node('Sigmoid', [flatten(cls, 1)]);
    if (level === 0) t.pinTraced(score, config.firstScoreOutput);
    outputs.push({ score, box: flatten(scaled, 4), kps: flatten(kps, 10) });
  });
  for (const o of outputs) graph.addOutput(o.score, 'float32', [null, 1]);
  for (const o of outputs) graph.addOutput(o.box, 'float32', [null, 4]);
  for (const o of outputs) graph.addOutput(o.kps, 'float32', [null, 10]);

  t.finish();
  const namedOrder = ['neck.lateral_convs', 'neck.fpn_convs', 'neck.downsample_convs', 'neck.pafpn_convs',
    'bbox_head.stride_cls', 'bbox_head.stride_reg', 'bbox_head.stride_kps', 'bbox_head.scales'];
  const rank = (name: string): number => {
    const group = namedOrder.findIndex((p) => name.startsWith(p));
    const index = /\((\d+), /.exec(name)?.[1] ?? /\.(\d+)\./.exec(name)?.[1] ?? '0';
    return group * 1e6 + Number(index) * 10 + (name.endsWith('.bias') ? 1 : 0);
  };
  t.sortInitializers(rank);
  return graph;
}

/**
 * Makes every 3×3 kernel sum to zero, so the score conv responds to spatial change only: on flat regions
 * (the letterbox padding, plain background) the logit is just the bias, and image detail pushes it up or down.
 * Which anchors cross 0.5 then depends on the photo, not on a seed-dependent offset.
 */
function zeroSumTaps(weight: Float32Array, taps: number): Float32Array {
  for (let start = 0; start < weight.length; start += taps) {
    let sum = 0;
    for (let i = start; i < start + taps; i++) sum += weight[i]!;
    const mean = Math.fround(sum / taps);
    for (let i = start; i < start + taps; i++) weight[i] = weight[i]! - mean;
  }
  return weight;
}

/**
 * Nearest-neighbour upsampling of `x` to the spatial size of `ref`, exactly as the exporter traced
 * F.interpolate(x, size=ref.shape[2:]): sizes = Concat(Slice(Shape(x), 0:2), Unsqueeze(Gather(Shape(ref), 2)),
 * Unsqueeze(Gather(Shape(ref), 3))), with empty roi and scales.
 */
function resizeLike(t: TorchExportStyle, x: string, ref: string): string {
  const int64 = (values: readonly bigint[], dims: readonly number[]) => t.constant('int64', dims, new BigInt64Array(values));
  const height = t.node('Gather', [t.node('Shape', [ref], undefined, undefined, 'int64'), int64([2n], [])], { axis: attr.int(0) }, undefined, 'int64');
  const width = t.node('Gather', [t.node('Shape', [ref], undefined, undefined, 'int64'), int64([3n], [])], { axis: attr.int(0) }, undefined, 'int64');
  const h1 = t.node('Unsqueeze', [height], { axes: attr.ints([0]) }, undefined, 'int64');
  const w1 = t.node('Unsqueeze', [width], { axes: attr.ints([0]) }, undefined, 'int64');
  t.skipTraced(1); // a Constant the exporter traced here and then dropped
  t.skipNode();
  const roi = t.constant('float32', [0], new Float32Array(0));
  const shape = t.node('Shape', [x], undefined, undefined, 'int64');
  const starts = int64([0n], [1]);
  const axes = int64([0n], [1]);
  const ends = int64([2n], [1]);
  const batchAndChannels = t.node('Slice', [shape, starts, ends, axes], undefined, undefined, 'int64');
  t.skipTraced(1);
  t.skipNode();
  const sizes = t.node('Concat', [batchAndChannels, h1, w1], { axis: attr.int(0) }, undefined, 'int64');
  const scales = t.constant('float32', [0], new Float32Array(0));
  return t.node('Resize', [x, roi, scales, sizes], {
    coordinate_transformation_mode: attr.string('asymmetric'), cubic_coeff_a: attr.float(-0.75),
    mode: attr.string('nearest'), nearest_mode: attr.string('floor'),
  });
}

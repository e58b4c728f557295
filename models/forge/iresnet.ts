/**
 * w600k_r50: ArcFace IResNet-50 in the PyTorch export form of models.md §3.2. Conv+BN pairs are folded (biased
 * convs with numbered parameters); each block's leading BatchNormalization and the two head BNs stay, with
 * their PyTorch names; PRelu slopes are [C,1,1]; Flatten → Gemm(transB) → BatchNormalization; output `683`.
 */
import { OnnxGraphBuilder, attr } from './onnx-writer.js';
import type { Prng } from './prng.js';
import { TorchExportStyle } from './torch-export-style.js';
import { convWeight, nearIdentityBatchNorm, preluGain, preluSlopes, smallBias } from './weights.js';

/** Blocks per stage of IResNet-50. */
export const IRESNET50_LAYERS: readonly [number, number, number, number] = [3, 4, 14, 3];
const PLANES = [64, 128, 256, 512] as const;
const EMBEDDING = 512;
const OUTPUT_NAME = 683;
const PRELU_SLOPE = 0.25;
/** Each residual branch adds to an un-activated stream; a small last-conv gain keeps 24 blocks from blowing up. */
const RESIDUAL_BRANCH_GAIN = 0.3;

export function buildIResNet50(prng: Prng): OnnxGraphBuilder {
  return buildIResNet(prng, IRESNET50_LAYERS);
}

/**
 * IResNet with `layers` blocks per stage. Other depths than 50's exist for tests: [2, 2, 2, 2] has every distinct
 * layer of w600k_r50 (each stage's strided projection block and its identity block) at ~40% of its compute.
 */
export function buildIResNet(prng: Prng, layers: readonly [number, number, number, number]): OnnxGraphBuilder {
  const graph = new OnnxGraphBuilder('torch-jit-export');
  const t = new TorchExportStyle(graph);
  const input = graph.addInput('input.1', 'float32', ['None', 3, 112, 112]);

  const foldedConv = (x: string, cin: number, cout: number, k: 1 | 3, stride: number, gain: number): string => {
    t.skipTraced(2); // conv and BN outputs, gone with the fold
    const out = t.foldedValue();
    const w = graph.addInitializer(t.foldedValue(), 'float32', [cout, cin, k, k], convWeight(prng, cout, cin, k, k, gain));
    const b = graph.addInitializer(t.foldedValue(), 'float32', [cout], smallBias(prng, cout));
    const pad = k === 3 ? 1 : 0;
    return t.node('Conv', [x, w, b], {
      dilations: attr.ints([1, 1]), group: attr.int(1), kernel_shape: attr.ints([k, k]),
      pads: attr.ints([pad, pad, pad, pad]), strides: attr.ints([stride, stride]),
    }, out);
  };
  const batchNorm = (x: string, prefix: string, channels: number, frozenScale = false): string => {
    const stats = nearIdentityBatchNorm(prng, channels);
    if (frozenScale) stats.scale.fill(1);
    const inputs = [x,
      graph.addInitializer(`${prefix}.weight`, 'float32', [channels], stats.scale),
      graph.addInitializer(`${prefix}.bias`, 'float32', [channels], stats.bias),
      graph.addInitializer(`${prefix}.running_mean`, 'float32', [channels], stats.mean),
      graph.addInitializer(`${prefix}.running_var`, 'float32', [channels], stats.variance)];
    return t.node('BatchNormalization', inputs, { epsilon: attr.float(1e-5), momentum: attr.float(0.9) });
  };
  const prelu = (x: string, channels: number): string => {
    // The exporter unsqueezes the [C] slope to [C,1,1] and constant-folds it under the Unsqueeze's number.
    const slope = graph.addInitializer(t.tracedValue(), 'float32', [channels, 1, 1], preluSlopes(prng, channels));
    return t.node('PRelu', [x, slope]);
  };

  const gain = preluGain(PRELU_SLOPE);
  let x = prelu(foldedConv(input, 3, 64, 3, 1, gain), 64);
  let channels = 64;
  layers.forEach((blocks, layer) => {
    const planes = PLANES[layer]!;
    for (let block = 0; block < blocks; block++) {
      const prefix = `layer${layer + 1}.${block}`;
      const stride = block === 0 ? 2 : 1;
      let branch = batchNorm(x, `${prefix}.bn1`, channels);
      branch = prelu(foldedConv(branch, channels, planes, 3, 1, gain), planes);
      branch = foldedConv(branch, planes, planes, 3, stride, RESIDUAL_BRANCH_GAIN);
      const shortcut = stride !== 1 || channels !== planes ? foldedConv(x, channels, planes, 1, stride, 1) : x;
      x = t.node('Add', [branch, shortcut]);
      channels = planes;
    }
  });
  x = batchNorm(x, 'bn2', channels);
  x = t.node('Flatten', [x], { axis: attr.int(1) });
  const features = channels * 7 * 7;
  const fcWeight = graph.addInitializer('fc.weight', 'float32', [EMBEDDING, features], prng.fill(EMBEDDING * features, 1 / Math.sqrt(features)));
  const fcBias = graph.addInitializer('fc.bias', 'float32', [EMBEDDING], smallBias(prng, EMBEDDING));
  x = t.node('Gemm', [x, fcWeight, fcBias], { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) });
  // BatchNorm1d on the embedding; arcface_torch freezes its scale at 1.0.
  const output = batchNorm(x, 'features', EMBEDDING, true);
  t.pinTraced(output, OUTPUT_NAME);
  graph.addOutput(output, 'float32', ['None', EMBEDDING]);
  t.finish();
  t.sortInitializers(stateDictRank);
  return graph;
}

/** PyTorch state-dict order: stem, then layers/blocks in order, then bn2, fc, features. */
function stateDictRank(name: string): number {
  const head = ['bn2.', 'fc.', 'features.'].findIndex((p) => name.startsWith(p));
  if (head >= 0) return 1e7 + head * 10 + suffixRank(name);
  const m = /^layer(\d)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) * 1e5 + Number(m[2]) * 100 + suffixRank(name) : 0;
}

function suffixRank(name: string): number {
  return ['weight', 'bias', 'running_mean', 'running_var'].indexOf(name.slice(name.lastIndexOf('.') + 1));
}

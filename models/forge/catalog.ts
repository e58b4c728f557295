/**
 * The five buffalo_l replicas: how each is built and what ../shared/spec/models.md says it must look like.
 * The spec numbers are the targets the tests and the report hold the replicas to.
 */
import { buildIResNet50 } from './iresnet.js';
import { GENDER_AGE, LANDMARK_2D_106, buildMobileNetHead, buildResNet50Landmark3d } from './mxnet-style.js';
import type { OnnxGraphBuilder } from './onnx-writer.js';
import type { Prng } from './prng.js';
import { DET_10G, buildScrfd } from './scrfd.js';
import type { OpInventory } from './inventory.js';

import type { ReplicaName } from './names.js';

export { REPLICA_NAMES, type ReplicaName } from './names.js';

export interface SpecFacts {
  readonly inputName: string;
  readonly inputShape: readonly (number | string)[];
  readonly outputNames: readonly string[];
  /** Float parameters per models.md (§2/§3 tables for the PyTorch models, §4.1 stand-ins for the MXNet ones). */
  readonly params: number;
  readonly ops: OpInventory;
  /** Conv+Gemm MACs at `macsInput`. */
  readonly macs: number;
  readonly macsInput: readonly number[];
  /** InsightFace task the router must pick (models.md "Routing rule"). */
  readonly task: 'detection' | 'landmark' | 'attribute' | 'recognition';
}

/** One buffalo_l replica: its name, file name, graph builder and the spec facts it is held to. */
export interface ReplicaEntry {
  readonly name: ReplicaName;
  readonly fileName: string;
  readonly build: (prng: Prng) => OnnxGraphBuilder;
  readonly spec: SpecFacts;
}

/** MobileNetV1 stand-ins (§4.1): conv_1 unit, 13 × (depthwise unit, pointwise unit), head. */
const mobileNetOps = (): OpInventory => ({
  Sub: 1, Mul: 1, Conv: 27, BatchNormalization: 27, PRelu: 27, GlobalAveragePool: 1, Flatten: 1, Gemm: 1,
});

/** The five buffalo_l replicas by name. */
export const REPLICAS: Readonly<Record<ReplicaName, ReplicaEntry>> = {
  det_10g: {
    name: 'det_10g', fileName: 'det_10g.onnx', build: (prng) => buildScrfd(DET_10G, prng),
    spec: {
      inputName: 'input.1', inputShape: [1, 3, '?', '?'],
      outputNames: ['448', '471', '494', '451', '474', '497', '454', '477', '500'],
      params: 4_225_937,
      ops: { Conv: 58, Relu: 36, Add: 16, Transpose: 9, Reshape: 9, Shape: 6, Gather: 4, Unsqueeze: 4, AveragePool: 3, Mul: 3, Sigmoid: 3, Slice: 2, Concat: 2, Resize: 2, MaxPool: 1 },
      macs: 13.341e9, macsInput: [1, 3, 640, 640], task: 'detection',
    },
  },
  '2d106det': {
    name: '2d106det', fileName: '2d106det.onnx', build: (prng) => buildMobileNetHead(LANDMARK_2D_106, prng),
    spec: {
      inputName: 'data', inputShape: ['None', 3, 192, 192], outputNames: ['fc1'],
      params: 0.94e6, ops: mobileNetOps(), macs: 0.110e9, macsInput: [1, 3, 192, 192], task: 'landmark',
    },
  },
  '1k3d68': {
    name: '1k3d68', fileName: '1k3d68.onnx', build: buildResNet50Landmark3d,
    spec: {
      inputName: 'data', inputShape: ['None', 3, 192, 192], outputNames: ['fc1'],
      params: 30.3e6,
      // bn_data + ResNet-50 v1 (stem conv/BN/ReLU, max-pool, 16 bottlenecks of 3 conv/BN, 4 projection shortcuts).
      ops: { BatchNormalization: 54, Conv: 53, Relu: 49, Add: 16, MaxPool: 1, GlobalAveragePool: 1, Flatten: 1, Gemm: 1 },
      macs: 3.01e9, macsInput: [1, 3, 192, 192], task: 'landmark',
    },
  },
  genderage: {
    name: 'genderage', fileName: 'genderage.onnx', build: (prng) => buildMobileNetHead(GENDER_AGE, prng),
    spec: {
      inputName: 'data', inputShape: ['None', 3, 96, 96], outputNames: ['fc1'],
      params: 0.22e6, ops: mobileNetOps(), macs: 0.030e9, macsInput: [1, 3, 96, 96], task: 'attribute',
    },
  },
  w600k_r50: {
    name: 'w600k_r50', fileName: 'w600k_r50.onnx', build: buildIResNet50,
    spec: {
      inputName: 'input.1', inputShape: ['None', 3, 112, 112], outputNames: ['683'],
      params: 43_590_976,
      ops: { Conv: 53, BatchNormalization: 26, PRelu: 25, Add: 24, Flatten: 1, Gemm: 1 },
      macs: 6.309e9, macsInput: [1, 3, 112, 112], task: 'recognition',
    },
  },
};

import type { InferenceSession } from '../../session/session.js';
import type { GpuTensor, Tensor } from '../../core/tensor.js';
import type { Affine2x3 } from '../affine.js';
import { blobFromImages, type Normalisation } from './blob.js';
import type { BgrImage } from '../image.js';
import { letterbox, type Size } from './letterbox.js';
import { warpAffine } from './warp-affine.js';

/** A pre-processed model input: CPU data, or a tensor already in the GPU buffer the model's session reads. */
export type ModelFeed = Tensor | GpuTensor;

/** The model input a tensor is made for: GPU pre-processing writes straight into that session's input buffer. */
export interface ModelInput {
  readonly session: InferenceSession;
  readonly name: string;
}

/** One image's crop transforms, for a head batch that holds the crops of several images. */
export interface ImageCrops {
  /** The image the crops are cut from. */
  readonly image: BgrImage;
  /** One `warpAffine` matrix per crop, in output order. */
  readonly transforms: readonly Affine2x3[];
}

/**
 * The image → tensor stages of the pipeline. A GPU implementation (upload once, letterbox + normalise in one
 * dispatch, all crops in one batched warp) can replace the CPU one without the model stages noticing.
 */
export interface Preprocessor {
  /** Letterboxed, normalised detector input (1×3×H×W) and InsightFace's det_scale. */
  detectionInput(image: BgrImage, size: Size, norm: Normalisation, target?: ModelInput): Promise<{ tensor: ModelFeed; detScale: number }>;
  /** One `warpAffine(image, M, (size, size))` crop per matrix, normalised and stacked into N×3×size×size. */
  alignedCrops(image: BgrImage, transforms: readonly Affine2x3[], size: number, norm: Normalisation, target?: ModelInput): Promise<ModelFeed>;
  /**
   * Several images' crops stacked image by image into one N×3×size×size tensor, each crop as `alignedCrops` makes
   * it, so one head forward covers the faces of all of them. Each image must be between its `begin` and `end`.
   */
  alignedCropsOfImages?(parts: readonly ImageCrops[], size: number, norm: Normalisation, target?: ModelInput): Promise<ModelFeed>;
  /** Called once per image before its first stage (e.g. to upload it to the GPU). */
  begin?(image: BgrImage): Promise<void>;
  /**
   * GPU pre-processors: from now until `recordInto()` without an encoder, dispatches are recorded into `encoder`
   * (which the caller submits, e.g. with the model runs that read the crops: InferenceSession.runTogether's prelude)
   * instead of submitted one by one, and each output made without a target session gets a buffer of its own. What
   * they hold is freed by `end`.
   */
  recordInto?(encoder?: GPUCommandEncoder): void;
  /** Called once per image after its last stage: frees what `begin` held. */
  end?(image: BgrImage): void;
  /** Resolves when work this pre-processor queued on a device has finished (used by stage timings only). */
  settle?(): Promise<void>;
  /** Frees device resources (pipelines, buffers). */
  dispose?(): void;
}

/** Bit-exact OpenCV arithmetic on the CPU. */
export class CpuPreprocessor implements Preprocessor {
  async detectionInput(image: BgrImage, size: Size, norm: Normalisation): Promise<{ tensor: Tensor; detScale: number }> {
    const boxed = letterbox(image, size);
    return { tensor: blobFromImages([boxed.image], norm), detScale: boxed.detScale };
  }

  async alignedCrops(image: BgrImage, transforms: readonly Affine2x3[], size: number, norm: Normalisation): Promise<Tensor> {
    return blobFromImages(transforms.map((m) => warpAffine(image, m, size, size)), norm);
  }

  async alignedCropsOfImages(parts: readonly ImageCrops[], size: number, norm: Normalisation): Promise<Tensor> {
    return blobFromImages(parts.flatMap((p) => p.transforms.map((m) => warpAffine(p.image, m, size, size))), norm);
  }
}

import type { BackendName } from '../../backends/options.js';
import type { DrawOptions } from '../draw.js';
import type { PrepareOptions } from '../face-analysis-options.js';
import type { BgrImage, RawImage } from '../image.js';
import type { MaxNumMetric } from '../max-num.js';
import type { StageTiming } from '../stage-timer.js';
import type { FaceTrackerOptions } from '../tracking/tracker-options.js';
import type { WireError } from './wire-errors.js';
import type { WireFace } from './wire-faces.js';

/** What the worker can build a FaceAnalysis from: model bytes by name (moved to the worker), and cloneable options. */
export interface WorkerCreateOptions {
  /** The pack's files by name; their buffers are transferred to the worker (the caller's copies are detached). */
  readonly models: { readonly files: Readonly<Record<string, Uint8Array | ArrayBuffer>> | ReadonlyMap<string, Uint8Array | ArrayBuffer> };
  readonly allowedModules?: readonly string[];
  /** 'auto' (default), 'webgpu' or 'cpu', decided inside the worker (its own GPUDevice). */
  readonly backend?: BackendName;
  /** For 'auto': accept a software adapter (SwiftShader). */
  readonly allowSoftwareAdapter?: boolean;
  readonly headBatch?: number;
  /** An INSwapper model (inswapper_128.onnx) for `swap`, on the same backend and device; its buffer is transferred. */
  readonly swapper?: Uint8Array | ArrayBuffer;
  /** A FaceTracker over the worker's FaceAnalysis, for `track`. */
  readonly tracker?: WorkerTrackerOptions;
}

/**
 * FaceTracker's options as they cross to the worker: the index as its IGFX bytes (FaceIndex.toBytes), and no
 * pre-processor (the worker uses its FaceAnalysis's own).
 */
export interface WorkerTrackerOptions extends Omit<FaceTrackerOptions, 'index' | 'preprocessor'> {
  readonly index?: Uint8Array;
}

/**
 * An image as it is posted: everything but DOM elements (the client turns those into VideoFrames or ImageBitmaps
 * first); a string is a URL the client made absolute, which the worker fetches.
 */
export type WireImage = string | BgrImage | RawImage | Uint8Array | ArrayBuffer | ImageBitmap | VideoFrame | ImageData;

/** `get`'s options that cross the boundary; timings come back in the reply. */
export interface WireGetOptions {
  readonly maxNum?: number;
  readonly metric?: MaxNumMetric;
  readonly timings: boolean;
}

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'create'; readonly options: WorkerCreateOptions }
  | { readonly id: number; readonly kind: 'prepare'; readonly options: PrepareOptions }
  | { readonly id: number; readonly kind: 'get'; readonly image: WireImage; readonly options: WireGetOptions; readonly owned: boolean }
  | { readonly id: number; readonly kind: 'drawOn'; readonly image: WireImage; readonly faces: readonly WireFace[]; readonly options?: DrawOptions; readonly owned: boolean }
  // source: normedEmbedding of the caller's source, as INSwapper on the page would use it (swapSourceFromWire).
  | { readonly id: number; readonly kind: 'swap'; readonly image: WireImage; readonly source: Float32Array; readonly maxNum?: number; readonly owned: boolean }
  | { readonly id: number; readonly kind: 'track'; readonly image: WireImage; readonly timestamp?: number; readonly timings?: boolean; readonly owned: boolean }
  | { readonly id: number; readonly kind: 'release' };

/** What `create` reports about the pipeline the worker built. */
export interface WorkerModelsInfo {
  readonly backend: 'webgpu' | 'cpu';
  /** The adapter's description on WebGPU. */
  readonly adapter?: string;
  /** taskname → file, in load order. */
  readonly models: readonly (readonly [string, string])[];
  readonly detSize: readonly (readonly [number, number])[];
}

/** What `release` reports: whether the worker's GPUDevice is now lost (destroyed), and why. */
export interface WorkerReleaseInfo {
  /** False on the CPU backend, which holds no device. */
  readonly hadDevice: boolean;
  /** The device's `lost` reason once released ('destroyed'), undefined when there was none. */
  readonly deviceLost?: string;
}

export type WorkerReplyValue =
  | { readonly kind: 'create'; readonly info: WorkerModelsInfo }
  | { readonly kind: 'prepare'; readonly detSize: readonly (readonly [number, number])[] }
  | { readonly kind: 'get'; readonly faces: readonly WireFace[]; readonly timings?: readonly StageTiming[] }
  | { readonly kind: 'drawOn'; readonly image: BgrImage }
  | { readonly kind: 'swap'; readonly faces: readonly WireFace[]; readonly image: BgrImage; readonly timings: readonly StageTiming[] }
  | { readonly kind: 'track'; readonly faces: readonly WireFace[]; readonly ended: readonly WireFace[]; readonly timings?: readonly StageTiming[] }
  | { readonly kind: 'release'; readonly info: WorkerReleaseInfo };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: WorkerReplyValue }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

import type { BackendName } from '../../backends/options.js';
import type { DecodeSeat } from '../decode-node.js';
import type { DrawOptions } from '../draw.js';
import type { PrepareOptions } from '../face-analysis-options.js';
import type { BgrImage } from '../image.js';
import type { MaxNumMetric } from '../max-num.js';
import type { Size } from '../preprocess/letterbox.js';
import type { WireError } from '../worker/wire-errors.js';
import type { WireFace } from '../worker/wire-faces.js';

/** What each pool worker builds its FaceAnalysis from (its `workerData`). */
export interface PoolWorkerSetup {
  /** A folder, an installed pack name or file paths (each worker reads them), or bytes by name (copied to each). */
  readonly models: string | readonly string[] | { readonly files: Readonly<Record<string, Uint8Array>> };
  readonly backend: BackendName;
  readonly allowedModules?: readonly string[];
  readonly prepare: PrepareOptions;
  /** The seat this worker takes at the starting thread's decode gate, so its decodes and theirs keep one rule. */
  readonly decodeSeat?: DecodeSeat;
}

/** What a worker reports once its FaceAnalysis is built and prepared. */
export interface PoolWorkerInfo {
  /** The loaded models as [taskname, file], in InsightFace's order. */
  readonly models: readonly (readonly [string, string])[];
  readonly detSize: readonly Size[];
}

/** One image for a worker: a file it decodes itself. */
export interface PoolRequest {
  readonly id: number;
  readonly file: string;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  /** Also send back the picture with the faces drawn on it. */
  readonly draw?: DrawOptions;
}

/**
 * A worker's messages: `ready` or `startFailed` once, then per request its faces, `image` (the image's own failure:
 * a decode error or an ImageError, so the run goes on) or `fatal` (anything else: the run cannot go on).
 */
export type PoolReply =
  | { readonly kind: 'ready'; readonly info: PoolWorkerInfo }
  | { readonly kind: 'startFailed'; readonly error: WireError }
  | { readonly kind: 'faces'; readonly id: number; readonly width: number; readonly height: number; readonly faces: readonly WireFace[]; readonly annotated?: BgrImage }
  | { readonly kind: 'image'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'fatal'; readonly id: number; readonly error: WireError };

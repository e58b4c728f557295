import { PipelineOptionError } from './errors.js';
import { Face } from './face.js';
import { estimateNorm } from './norm-crop.js';

/**
 * Checks the face handed to a model's `get`: a Face (or an object with its fields) whose `field` holds `count`
 * finite numbers. Throws PipelineOptionError ('face') otherwise, naming what is missing and who needs it.
 */
function requireField(face: unknown, field: 'bbox' | 'kps', count: number, who: string): Face {
  if (face === null || typeof face !== 'object') throw new PipelineOptionError('face', `${who} needs a Face, got ${face === null ? 'null' : typeof face}`);
  const values = (face as { [k: string]: unknown })[field];
  const what = field === 'kps' ? 'the five keypoints (kps, 10 values)' : 'a bounding box (bbox: x1, y1, x2, y2)';
  if (values === undefined || values === null) throw new PipelineOptionError('face', `has no ${field}; ${who} needs ${what}`);
  const list = values as ArrayLike<unknown>;
  if (typeof list.length !== 'number' || list.length !== count) throw new PipelineOptionError('face', `${field} has ${String(list.length)} values; ${who} needs ${what}`);
  for (let i = 0; i < count; i++) {
    const v = list[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new PipelineOptionError('face', `${field}[${i}] is ${String(v)}, not a finite number`);
  }
  return face as Face;
}

/** The face's bbox is 4 finite numbers (Landmark, Attribute). */
export function requireBbox(face: unknown, who: string): Face {
  return requireField(face, 'bbox', 4, who);
}

/** The face's kps are 10 finite numbers (ArcFace's norm_crop). */
export function requireKps(face: unknown, who: string): Face {
  return requireField(face, 'kps', 10, who);
}

/**
 * The face's kps are 10 finite numbers that some similarity maps onto the template (ArcFace's standalone `get`).
 * Five equal points have none: the alignment is NaN, the crop black, and every such face would get the same
 * embedding (cosine 1 with each other) without an error.
 */
export function requireAlignableKps(face: unknown, who: string): Face {
  const target = requireKps(face, who);
  if (!estimateNorm(target.kps!, 112).every(Number.isFinite)) {
    throw new PipelineOptionError('face', `the five keypoints are degenerate (all equal), so ${who} has no alignment to crop by`);
  }
  return target;
}

/**
 * The face's bbox is 4 finite numbers with a non-zero side (Landmark's and Attribute's standalone `get`): a box of
 * zero width and height gives an infinite crop scale, hence NaN landmarks or a meaningless gender and age.
 */
export function requireCroppableBbox(face: unknown, who: string): Face {
  const target = requireBbox(face, who);
  const [x1, y1, x2, y2] = target.bbox;
  if (Math.max(Math.fround(x2! - x1!), Math.fround(y2! - y1!)) === 0) {
    throw new PipelineOptionError('face', `bbox [${Array.from(target.bbox).join(', ')}] has zero width and height, so ${who} has no crop around it`);
  }
  return target;
}

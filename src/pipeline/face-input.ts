import { PipelineOptionError } from './errors.js';
import { Face } from './face.js';

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

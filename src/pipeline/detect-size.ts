import { PipelineOptionError } from './errors.js';
import type { Size } from './preprocess/letterbox.js';
import { MAX_IMAGE_PIXELS } from './image.js';
import { describeValue } from './call-options.js';

/** InsightFace 1.0.1's automatic sizes, used when det_size is None or (0, 0). */
export const AUTO_DET_SIZES: readonly Size[] = [[128, 128], [640, 640]];

/**
 * prepare's det_size: one (W, H), several (multi-size detection), or 'auto' (InsightFace 1.0.1's sizes).
 */
export type DetSizeOption = Size | readonly Size[] | 'auto';

/** Normalises prepare's det_size: one (W, H), a list of them, 'auto' or (0, 0). */
export function resolveDetSizes(option: DetSizeOption): Size[] {
  if (option === 'auto') return [...AUTO_DET_SIZES];
  if (!Array.isArray(option as unknown)) throw new PipelineOptionError('detSize', `${describeValue(option)} is not [width, height], a list of those, or 'auto'`);
  const list: readonly Size[] = typeof option[0] === 'number' ? [option as Size] : (option as readonly Size[]);
  if (list.length === 0) throw new PipelineOptionError('detSize', 'empty list of sizes');
  if (list.length === 1 && list[0]![0] === 0 && list[0]![1] === 0) return [...AUTO_DET_SIZES];
  for (const size of list) {
    if (!Array.isArray(size) || size.length !== 2 || !size.every((v) => Number.isInteger(v) && v > 0)) {
      throw new PipelineOptionError('detSize', `${JSON.stringify(size)} is not a (width, height) pair of positive integers`);
    }
  }
  for (const [w, h] of list) {
    // The detector's input is a w×h image: refused here, naming the option, rather than as a bad image at get().
    if (w * h > MAX_IMAGE_PIXELS) throw new PipelineOptionError('detSize', `${w}×${h} exceeds the ${MAX_IMAGE_PIXELS}-pixel image bound`);
  }
  return list.map(([w, h]) => [w, h] as Size);
}

/** Parses the CLI form: `640`, `640x480`, or a comma list of those. */
export function parseDetSizes(text: string): Size[] {
  return text.split(',').map((part) => {
    const m = /^\s*(\d+)(?:\s*[xX×]\s*(\d+))?\s*$/.exec(part);
    if (!m) throw new PipelineOptionError('--det-size', `'${part}' is not N or WxH`);
    const w = Number(m[1]);
    const h = m[2] === undefined ? w : Number(m[2]);
    // 0 (or 0x0) is InsightFace's automatic sizes; a size with one zero side is neither that nor a size.
    if ((w === 0) !== (h === 0)) throw new PipelineOptionError('--det-size', `'${part}' has one zero side (give 0 for the automatic sizes, or two positive ones)`);
    // prepare() refuses this too, but only once the models have loaded, and under its own option name.
    if (w * h > MAX_IMAGE_PIXELS) throw new PipelineOptionError('--det-size', `'${part}' (${w}×${h}) exceeds the ${MAX_IMAGE_PIXELS}-pixel image bound`);
    return [w, h] as Size;
  });
}

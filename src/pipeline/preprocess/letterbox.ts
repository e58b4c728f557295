import { ImageError } from '../errors.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { resizeBilinearInto } from './resize.js';

/** A detector input size as InsightFace writes it: (width, height). */
export type Size = readonly [width: number, height: number];

export interface LetterboxGeometry {
  /** Size of the resized picture inside the canvas (top-left aligned). */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  /** new_h / img_h — InsightFace uses this one (height) ratio for both axes when mapping back. */
  readonly detScale: number;
}

/** InsightFace's aspect-preserving fit of an image into (W, H): the truncations and the height-based det_scale. */
export function letterboxGeometry(imageWidth: number, imageHeight: number, [W, H]: Size): LetterboxGeometry {
  // Checked first: a zero or NaN side would otherwise read as the image's aspect ratio being at fault, or pass.
  if (!Number.isInteger(W) || !Number.isInteger(H) || W < 1 || H < 1) throw new ImageError(`letterbox size ${W}×${H} is not two positive integers`);
  const imRatio = imageHeight / imageWidth;
  const modelRatio = H / W;
  let newW: number;
  let newH: number;
  if (imRatio > modelRatio) {
    newH = H;
    newW = Math.trunc(newH / imRatio);
  } else {
    newW = W;
    newH = Math.trunc(newW * imRatio);
  }
  if (newW < 1 || newH < 1) {
    throw new ImageError(`a ${imageWidth}×${imageHeight} image shrinks to ${newW}×${newH} inside ${W}×${H}; its aspect ratio is too extreme`);
  }
  return { resizedWidth: newW, resizedHeight: newH, detScale: newH / imageHeight };
}

/** Resizes into a zero (black) W×H canvas at the top-left corner, as SCRFD.detect does. */
export function letterbox(image: BgrImage, size: Size): { image: BgrImage; detScale: number } {
  const geometry = letterboxGeometry(image.width, image.height, size);
  const [W, H] = size;
  const canvas = createBgrImage(W, H);
  // Resized rows go straight into the canvas rows; the rest of the canvas stays zero.
  resizeBilinearInto(image, geometry.resizedWidth, geometry.resizedHeight, canvas.data, W * 3);
  return { image: canvas, detScale: geometry.detScale };
}

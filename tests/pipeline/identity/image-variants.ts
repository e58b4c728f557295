/** Copies of a test photo for identification tests: mirrored left to right, or with seeded Gaussian pixel noise. */
import { createBgrImage, type BgrImage } from '../../../src/pipeline/index.js';
import { seededRandom } from '../helpers.js';

/** The image mirrored horizontally. */
export function flippedCopy(img: BgrImage): BgrImage {
  const out = createBgrImage(img.width, img.height);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const from = (y * img.width + x) * 3, to = (y * img.width + (img.width - 1 - x)) * 3;
      out.data[to] = img.data[from]!;
      out.data[to + 1] = img.data[from + 1]!;
      out.data[to + 2] = img.data[from + 2]!;
    }
  }
  return out;
}

/** The image plus Gaussian noise of standard deviation `sigma` grey levels per channel (seeded), clamped to bytes. */
export function noisyCopy(img: BgrImage, sigma: number, seed: number): BgrImage {
  const rand = seededRandom(seed);
  const out = createBgrImage(img.width, img.height);
  for (let i = 0; i < img.data.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out.data[i] = Math.min(255, Math.max(0, Math.round(img.data[i]! + sigma * g)));
  }
  return out;
}

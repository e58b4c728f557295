import { bgrToRgb, ImageError, type BgrImage } from '../src/pipeline/index.js';

/** Writes a BGR image as PNG with sharp. */
export async function writePng(image: BgrImage, file: string): Promise<void> {
  const sharp = (await import('sharp')).default;
  try {
    await sharp(bgrToRgb(image), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toFile(file);
  } catch (error) {
    throw new ImageError(`cannot write PNG: ${(error as Error).message}`, file, { cause: error });
  }
}

import { bgrToRgb, type BgrImage } from '../src/pipeline/index.js';
import { firstLine, OutputFileError } from './output-file.js';

/** Writes a BGR image as PNG with sharp; a file that cannot be written is an OutputFileError with libvips' first line. */
export async function writePng(image: BgrImage, file: string): Promise<void> {
  const sharp = (await import('sharp')).default;
  try {
    await sharp(bgrToRgb(image), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toFile(file);
  } catch (error) {
    throw new OutputFileError(`PNG not written: ${firstLine(error)}`, file, { cause: error });
  }
}

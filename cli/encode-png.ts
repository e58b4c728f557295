import { bgrToRgb, type BgrImage } from '../src/pipeline/index.js';
import { firstLine, OutputFileError, writeFileAtomically } from './output-file.js';

/**
 * Writes a BGR image as PNG with sharp, encoded in memory and then written through a temporary file and a rename,
 * so a run stopped mid-write (Ctrl-C, a full disk) never leaves a truncated PNG, nor spoils an earlier file of that
 * name. A file that cannot be written is an OutputFileError with the first line of the cause.
 */
export async function writePng(image: BgrImage, file: string): Promise<void> {
  const sharp = (await import('sharp')).default;
  let png: Uint8Array;
  try {
    png = await sharp(bgrToRgb(image), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  } catch (error) {
    throw new OutputFileError(`PNG not written: ${firstLine(error)}`, file, { cause: error });
  }
  await writeFileAtomically(file, png);
}

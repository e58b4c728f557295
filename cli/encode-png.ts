import { MissingPackageError } from '../src/core/errors.js';
import { bgrToRgb, type BgrImage } from '../src/pipeline/index.js';
import { firstLine, OutputFileError, writeFileAtomically } from './output-file.js';

/**
 * Writes a BGR image as PNG with sharp, encoded in memory and then written through a temporary file and a rename,
 * so a run stopped mid-write (Ctrl-C, a full disk) never leaves a truncated PNG, nor spoils an earlier file of that
 * name. A file that cannot be written is an OutputFileError with the first line of the cause.
 */
export async function writePng(image: BgrImage, file: string): Promise<void> {
  await writeFileAtomically(file, await encodePng(image, file));
}

/** The PNG bytes of a BGR image; `file` names the output in the error of an image sharp cannot encode. */
export async function encodePng(image: BgrImage, file: string): Promise<Uint8Array> {
  const sharp = (await import('sharp').catch((error: unknown) => {
    throw new MissingPackageError('sharp', 'writing PNG files', { cause: error });
  })).default;
  try {
    return await sharp(bgrToRgb(image), { raw: { width: image.width, height: image.height, channels: 3 } }).png().toBuffer();
  } catch (error) {
    throw new OutputFileError(`PNG not written: ${firstLine(error)}`, file, { cause: error });
  }
}

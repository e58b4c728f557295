/** Turning what a user opened into pixels, and keeping the page's analyses one at a time. */
import { ImageError } from '../../src/pipeline/index.js';

/**
 * The photo's pixels, with no colour conversion (the pipeline must see the file's own values, as OpenCV does).
 * A file the browser cannot decode (a text file, an empty or truncated one) is an ImageError naming it.
 */
export async function decodePhoto(blob: Blob, name: string): Promise<ImageBitmap> {
  if (blob.size === 0) throw new ImageError('the file is empty', name);
  try {
    return await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    const kind = blob.type ? `of type ${blob.type}` : 'of unknown type';
    throw new ImageError(`this browser cannot decode it as an image (${blob.size} bytes ${kind}; JPEG, PNG, WebP and GIF work)`, name, { cause: e });
  }
}

/**
 * Runs jobs one after another: the pipeline's sessions reuse their buffers between runs, so a photo opened while
 * another is analysed (or a webcam frame, or a model reload) waits for it instead of running beside it.
 */
export class JobQueue {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.last.then(job, job);
    this.last = next.catch(() => undefined);
    return next;
  }
}

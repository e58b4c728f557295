import { loadImage, type BgrImage } from '../../src/pipeline/index.js';
import type { ImageEntry } from './collect-images.js';

/** An image of the run after decoding: its pixels, or what the decoder threw. */
export type Decoded =
  | { readonly entry: ImageEntry; readonly image: BgrImage; readonly error?: undefined }
  | { readonly entry: ImageEntry; readonly image?: undefined; readonly error: unknown };

/**
 * Yields the entries decoded, in order, with up to `ahead` decodes started beyond the one handed out, so they
 * proceed (sharp decodes on libuv's thread pool) while the caller analyses. `ahead` 0 decodes each image only
 * when it is asked for. A failed decode is yielded as its error, never thrown.
 */
export async function* decodeAhead(entries: readonly ImageEntry[], ahead: number): AsyncGenerator<Decoded> {
  const started: Promise<Decoded>[] = [];
  let next = 0;
  const start = (): void => {
    const entry = entries[next++]!;
    // An entry the listing already found unreadable (a link to nothing) fails as the decoder would, with its reason.
    if (entry.unreadable !== undefined) started.push(Promise.resolve({ entry, error: entry.unreadable }));
    else started.push(loadImage(entry.file).then((image) => ({ entry, image }), (error: unknown) => ({ entry, error })));
  };
  while (next < entries.length || started.length > 0) {
    // `ahead` decodes stay in flight while the caller works on the one handed out.
    while (started.length < ahead + 1 && next < entries.length) start();
    yield await started.shift()!;
  }
}

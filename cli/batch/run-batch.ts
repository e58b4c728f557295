import { ImageError, type BgrImage, type DrawOptions, type Face, type FaceAnalysis, type MaxNumMetric } from '../../src/pipeline/index.js';
import type { ImageEntry } from './collect-images.js';
import { decodeAhead, type Decoded } from './decode-ahead.js';
import { errorRecord, imageRecord, type ErrorRecord, type ResultLine } from './records.js';

/** A good image's analysis beside its line: its faces, and the picture with them drawn when the run draws. */
export interface ImageDone {
  readonly faces: readonly Face[];
  readonly annotated?: BgrImage;
}

/**
 * Receives each image's line in input order, as soon as it is done (with the faces of a good one). Awaited before
 * the next line.
 */
export type LineSink = (line: ResultLine, done?: ImageDone) => Promise<void> | void;

/** How a collection is run through a prepared FaceAnalysis. */
export interface BatchRunOptions {
  readonly app: FaceAnalysis;
  readonly entries: readonly ImageEntry[];
  /** Images detected before their faces' heads run together (FaceAnalysis.getBatch); 1 = `get` per image. */
  readonly batch: number;
  /** Decodes kept in flight beyond the image(s) being analysed (0 = decode each when its turn comes). */
  readonly concurrency: number;
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  /** Draw each good image's faces (FaceAnalysis.drawOn) and hand the picture to `onLine`. */
  readonly draw?: DrawOptions;
  readonly onLine: LineSink;
}

/** What a run did. */
export interface BatchRunSummary {
  readonly images: number;
  readonly faces: number;
  readonly failed: readonly ErrorRecord[];
}

/**
 * Analyses every entry and reports each one's line; a bad image gets its error line and the run goes on. An image
 * fails on a decode error or an ImageError of its analysis. Anything else (a model or device failure) is not the
 * image's fault: it ends the run unreported, so a `--resume` retries that image.
 */
export async function runBatch(options: BatchRunOptions): Promise<BatchRunSummary> {
  const { report, summary } = lineReporter(options.onLine);
  let group: Decoded[] = [];
  const flush = async (): Promise<void> => {
    const results = await analyseGroup(options, group.filter((d) => d.image !== undefined).map((d) => d.image!));
    let k = 0;
    for (const decoded of group) {
      const { entry } = decoded;
      if (decoded.image === undefined) { await report(errorRecord(entry.name, decoded.error)); continue; }
      const result = results[k++]!;
      if (result instanceof Error) { await report(errorRecord(entry.name, result)); continue; }
      const annotated = options.draw ? await options.app.drawOn(decoded.image, result, options.draw) : undefined;
      await report(imageRecord(entry.name, decoded.image.width, decoded.image.height, result), { faces: result, annotated });
    }
    group = [];
  };
  for await (const decoded of decodeAhead(options.entries, options.concurrency)) {
    group.push(decoded);
    if (group.length >= options.batch) await flush();
  }
  if (group.length > 0) await flush();
  return summary();
}

/** Counts the lines (images, faces, failures) on their way to `sink`: the summary every way of running a collection gives. */
export function lineReporter(sink: LineSink): { report: LineSink; summary: () => BatchRunSummary } {
  const failed: ErrorRecord[] = [];
  let images = 0;
  let faces = 0;
  const report = async (line: ResultLine, done?: ImageDone): Promise<void> => {
    images++;
    if (done) faces += done.faces.length;
    else failed.push(line as ErrorRecord);
    await sink(line, done);
  };
  return { report, summary: () => ({ images, faces, failed: [...failed] }) };
}

/**
 * The faces of each image of a group, or its ImageError. A group whose batch fails runs again one image at a time,
 * so the error lands on the image that caused it and the others keep their results.
 */
async function analyseGroup(options: BatchRunOptions, images: readonly BgrImage[]): Promise<(Face[] | ImageError)[]> {
  const get = { maxNum: options.maxNum, metric: options.metric };
  if (images.length > 1) {
    try {
      return await options.app.getBatch(images, get);
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
    }
  }
  const results: (Face[] | ImageError)[] = [];
  for (const image of images) {
    try {
      results.push(await options.app.get(image, get));
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      results.push(error);
    }
  }
  return results;
}

import type { DrawOptions, MaxNumMetric } from '../../src/pipeline/index.js';
import type { FaceAnalysisPool, PoolOutcome } from '../../src/pipeline/pool/index.js';
import type { ImageEntry } from './collect-images.js';
import { errorRecord, imageRecord } from './records.js';
import { lineReporter, type BatchRunSummary, type LineSink } from './run-batch.js';

/** How a collection is run through a FaceAnalysisPool (`analyze --workers N`). */
export interface PoolRunOptions {
  readonly pool: FaceAnalysisPool;
  readonly entries: readonly ImageEntry[];
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  /** Have the workers draw each good image's faces and hand the picture to `onLine`. */
  readonly draw?: DrawOptions;
  readonly onLine: LineSink;
}

/**
 * Analyses every entry on the pool's workers and reports each one's line in input order, whatever order the
 * workers finish in: results that arrive early wait in a reorder buffer of at most two images per worker (one being
 * analysed, one queued, so no worker idles while the main thread writes). A bad image gets its error line as in
 * runBatch; a failure that is not the image's (a worker crash, a model error) ends the run with that error after
 * the lines before it, so a `--resume` retries the images not written.
 */
export async function runPool(options: PoolRunOptions): Promise<BatchRunSummary> {
  const { report, summary } = lineReporter(options.onLine);
  const window = options.pool.size * 2;
  const inFlight: Promise<PoolOutcome>[] = [];
  let next = 0;
  const start = (): void => {
    const entry = options.entries[next++]!;
    // An entry the listing already found unreadable (a link to nothing) gets its line without a worker's turn.
    const outcome: Promise<PoolOutcome> = entry.unreadable !== undefined
      ? Promise.resolve({ ok: false, error: entry.unreadable })
      : options.pool.analyse(entry.file, { maxNum: options.maxNum, metric: options.metric, draw: options.draw });
    // A pool failure rejects every queued image at once; only the first one awaited is reported.
    outcome.catch(() => undefined);
    inFlight.push(outcome);
  };
  for (const entry of options.entries) {
    while (inFlight.length < window && next < options.entries.length) start();
    const outcome = await inFlight.shift()!;
    if (outcome.ok) {
      await report(imageRecord(entry.name, outcome.width, outcome.height, outcome.faces), { faces: outcome.faces, annotated: outcome.annotated });
    } else {
      await report(errorRecord(entry.name, outcome.error));
    }
  }
  return summary();
}

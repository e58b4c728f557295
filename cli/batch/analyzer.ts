import { FaceAnalysis, type DrawOptions, type MaxNumMetric, type Size } from '../../src/pipeline/index.js';
import { FaceAnalysisPool } from '../../src/pipeline/pool/index.js';
import type { BackendName } from '../../src/index.js';
import type { ImageEntry } from './collect-images.js';
import { runBatch, type BatchRunSummary, type LineSink } from './run-batch.js';
import { runPool } from './run-pool.js';

/** What `analyze` runs a collection with, whichever way it runs. */
export interface AnalyzerSettings {
  readonly models: string;
  readonly backend: BackendName;
  readonly detThresh: number;
  readonly detSizes: readonly Size[];
  readonly maxNum: number;
  readonly metric: MaxNumMetric;
  /** In-process only (one FaceAnalysis): images detected before their heads run together, and decodes ahead. */
  readonly batch: number;
  readonly concurrency: number;
  /** FaceAnalysis instances on worker threads (CPU backend); 1 = one in this thread. */
  readonly workers: number;
  readonly draw?: DrawOptions;
  readonly log?: (message: string) => void;
}

/** A loaded, prepared pipeline for a collection: one FaceAnalysis in this thread, or a pool of worker threads. */
export interface CollectionAnalyzer {
  /** The loaded models, taskname → file (the results header's "models"). */
  readonly models: Readonly<Record<string, string>>;
  readonly detSize: readonly Size[];
  /** Analyses the entries and reports their lines in input order (runBatch's contract). */
  run(entries: readonly ImageEntry[], onLine: LineSink): Promise<BatchRunSummary>;
  release(): Promise<void>;
}

/** Loads the models (in every worker with `workers` > 1) and prepares detection. */
export async function openAnalyzer(settings: AnalyzerSettings): Promise<CollectionAnalyzer> {
  const prepare = { detThresh: settings.detThresh, detSize: settings.detSizes };
  const get = { maxNum: settings.maxNum, metric: settings.metric, draw: settings.draw };
  if (settings.workers > 1) {
    // Each worker reads the model files itself: no copy of them stays in this thread (see the README's numbers).
    const pool = await FaceAnalysisPool.create({ size: settings.workers, models: settings.models, prepare });
    return {
      models: Object.fromEntries(pool.info.models),
      detSize: pool.detSize,
      run: (entries, onLine) => runPool({ pool, entries, ...get, onLine }),
      release: () => pool.release(),
    };
  }
  const app = await FaceAnalysis.create({ models: settings.models, backend: settings.backend, log: settings.log });
  try {
    app.prepare(prepare);
  } catch (error) {
    await app.release();
    throw error;
  }
  return {
    models: Object.fromEntries([...app.models.values()].map((m) => [m.taskname, m.file])),
    detSize: app.detSize,
    run: (entries, onLine) => runBatch({ app, entries, batch: settings.batch, concurrency: settings.concurrency, ...get, onLine }),
    release: () => app.release(),
  };
}

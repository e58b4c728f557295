/**
 * Runs FaceAnalysis on one image and measures where the time goes: image decoding, each model's forward passes
 * (summed over faces), and the rest (pre/post-processing: letterbox, decoding, NMS, alignment). The per-model
 * times come from timing each session's run() from the outside; the pipeline itself is not changed.
 */
import type { ResultsFile } from '../../cli/results-format.js';
import { faceRecord } from '../../cli/results-format.js';
import { FaceAnalysis, loadImage, type Face, type ImageInput } from '../../src/pipeline/index.js';
import type { BackendName } from '../../src/index.js';

export interface StageTiming {
  readonly stage: string;
  readonly ms: number;
}

export interface AnalysisRun {
  readonly faces: Face[];
  readonly timings: StageTiming[];
  readonly width: number;
  readonly height: number;
}

export interface DemoPipeline {
  readonly analysis: FaceAnalysis;
  readonly backend: BackendName;
  readonly detSize: number;
  readonly detThresh: number;
  readonly createMs: number;
  /** Forward-pass time per taskname since the last reset. */
  readonly forwardMs: Map<string, number>;
}

export async function createPipeline(files: Record<string, Uint8Array>, backend: BackendName, detSize: number, detThresh: number): Promise<DemoPipeline> {
  const t0 = performance.now();
  const analysis = await FaceAnalysis.create({ models: { files }, backend });
  analysis.prepare({ detThresh, detSize: [detSize, detSize] });
  const forwardMs = new Map<string, number>();
  for (const [task, model] of analysis.models) {
    const session = model.session;
    const run = session.run.bind(session);
    session.run = async (...args: Parameters<typeof run>) => {
      const s = performance.now();
      try {
        return await run(...args);
      } finally {
        forwardMs.set(task, (forwardMs.get(task) ?? 0) + performance.now() - s);
      }
    };
  }
  return { analysis, backend, detSize, detThresh, createMs: performance.now() - t0, forwardMs };
}

export async function analyse(p: DemoPipeline, input: ImageInput): Promise<AnalysisRun> {
  p.forwardMs.clear();
  const t0 = performance.now();
  const image = await loadImage(input);
  const t1 = performance.now();
  const faces = await p.analysis.get(image);
  const t2 = performance.now();
  const timings: StageTiming[] = [{ stage: 'decode image', ms: t1 - t0 }];
  let models = 0;
  for (const task of p.analysis.models.keys()) {
    const ms = p.forwardMs.get(task) ?? 0;
    models += ms;
    timings.push({ stage: `${task} forward`, ms });
  }
  timings.push({ stage: 'pre/post-processing', ms: Math.max(0, t2 - t1 - models) });
  timings.push({ stage: 'total', ms: t2 - t0 });
  return { faces, timings, width: image.width, height: image.height };
}

/** The run in the CLI's (and the goldens') JSON format, so it can be compared with any of them. */
export function toResultsFile(p: DemoPipeline, imageName: string, run: AnalysisRun): ResultsFile {
  const models: Record<string, string> = {};
  for (const [task, m] of p.analysis.models) models[task] = m.file;
  return {
    det_size: [p.detSize, p.detSize],
    det_thresh: p.detThresh,
    max_num: 0,
    models,
    results: [{ image: imageName, width: run.width, height: run.height, faces: run.faces.map(faceRecord) }],
  };
}

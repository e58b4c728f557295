import type { CompileTimes, PrecompileTimes } from '../backends/plan.js';
import type { LoadedModel } from './face-analysis-options.js';

/** An interval in milliseconds on `performance.now()`'s clock. */
export interface TimeSpan {
  readonly from: number;
  readonly to: number;
}

/** What FaceAnalysis.create recorded itself: its own span and each file's parse, by file name. */
export interface CreateRecord {
  readonly create: TimeSpan;
  readonly parse: ReadonlyMap<string, TimeSpan>;
}

/**
 * One model of the pack, from its file to its kernels: the parse at create, every precompile of its session (a
 * dynamic-size detector's at the usual size, a dynamic-batch head's per batch bucket: kernels only, no upload), and
 * every plan compiled so far (static-shape models at create; a dynamic one at its first run at a new shape), each
 * with its passes, lowering, pipelines requested/ready and upload (CompileTimes.timeline on WebGPU).
 */
export interface ModelCompileTimeline {
  readonly taskname: string;
  readonly file: string;
  readonly parse: TimeSpan;
  readonly precompiles: readonly PrecompileTimes[];
  readonly plans: readonly CompileTimes[];
}

/** The whole pack's compile timeline (FaceAnalysis.compileTimeline): create's span, then each model in load order. */
export interface PackCompileTimeline {
  readonly create: TimeSpan;
  readonly models: readonly ModelCompileTimeline[];
}

/** Gathers the timeline once the precompiles in flight have finished (a failed one leaves no entry). */
export async function packCompileTimeline(record: CreateRecord, models: ReadonlyMap<string, LoadedModel>): Promise<PackCompileTimeline> {
  const entries = await Promise.all([...models.values()].map(async (m): Promise<ModelCompileTimeline> => ({
    taskname: m.taskname,
    file: m.file,
    parse: record.parse.get(m.file) ?? record.create,
    precompiles: [...await m.session.precompileTimes()],
    plans: [...m.session.compileTimes],
  })));
  return { create: record.create, models: entries };
}

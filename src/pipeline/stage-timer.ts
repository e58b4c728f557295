/** What a pipeline stage does, for the benchmark's grouping (forward = a model's `session.run`, read-back included). */
export type StageKind = 'io' | 'pre' | 'forward' | 'post';

/** Wall time of one stage of one `FaceAnalysis.get` call. */
export interface StageTiming {
  /** The stage's name (e.g. 'decode', 'detection forward'). */
  readonly stage: string;
  /** What the stage does. */
  readonly kind: StageKind;
  /** Its wall time in milliseconds. */
  readonly ms: number;
}

/** Runs a stage, timing it when timings were asked for. */
export interface StageTimer {
  time<T>(stage: string, kind: StageKind, run: () => Promise<T>): Promise<T>;
}

/** Timings off: the stage runs as is (one closure call, no clock, no GPU synchronisation). */
export const NO_TIMER: StageTimer = { time: (_stage, _kind, run) => run() };

/**
 * Appends each stage's wall time to `sink`. `settle` waits for work a stage queued on a device (GPU
 * pre-processing returns before its dispatch finishes), so that work is charged to its own stage.
 */
export function recordingTimer(sink: StageTiming[], settle: () => Promise<void> = async () => undefined): StageTimer {
  return {
    async time(stage, kind, run) {
      const start = performance.now();
      const result = await run();
      await settle();
      sink.push({ stage, kind, ms: performance.now() - start });
      return result;
    },
  };
}

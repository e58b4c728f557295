/** Drives one model's fuzz process from the test process, with a watchdog that turns a hang into a report. */
import { fork, type ChildProcess } from 'node:child_process';
import type { CaseOutcome, FuzzPolicy, ReferenceCost } from './fuzz-case.js';
import type { FuzzJob, FuzzMessage } from './fuzz-child.js';

export interface TimeBound {
  /** A case may use this many times the reference cost (load, plus twice the run when it runs or fails while running)… */
  readonly factor: number;
  /** …plus this floor (GC pauses, JIT of a new code path), in CPU ms. */
  readonly floorMs: number;
  /** Wall-clock ms without a result after which a case is declared hung and its process killed. */
  readonly hangMs: number;
}

export interface CaseRecord {
  readonly index: number;
  readonly description: string;
  readonly outcome: CaseOutcome | 'hang' | 'too-slow';
  readonly detail: string;
  readonly cpuMs: number;
  readonly boundMs: number;
}

export interface ModelReport {
  readonly model: string;
  readonly cases: number;
  readonly counts: Readonly<Record<CaseOutcome, number>>;
  /** Untyped failures, crashes, hangs and cases over their time bound. */
  readonly failures: readonly CaseRecord[];
  /** The case that used the largest share of its bound. */
  readonly tightest: CaseRecord | undefined;
  readonly reference: ReferenceCost | undefined;
  readonly totalMs: number;
  /** Set when the child process died or never got through setup. */
  readonly fatal?: string;
}

/** A child process per model: its CPU time is its own, and a hang or crash takes down only that child. */
function startChild(job: FuzzJob): ChildProcess {
  return fork(new URL('./fuzz-child.ts', import.meta.url), [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}

export function caseBound(reference: ReferenceCost, ran: boolean, bound: TimeBound): number {
  return bound.factor * (reference.loadMs + (ran ? 2 * reference.runMs : 0)) + bound.floorMs;
}

/**
 * Runs `count` cases of one model in a child process. A case without a result after `bound.hangMs` is a hang: the
 * child is killed and the case reported (that model's remaining cases are not run).
 */
export function fuzzModel(model: string, modelPath: string, seed: number, count: number, policy: FuzzPolicy, bound: TimeBound): Promise<ModelReport> {
  const counts: Record<CaseOutcome, number> = { 'refused-load': 0, 'refused-run': 0, ran: 0, loaded: 0, untyped: 0 };
  const failures: CaseRecord[] = [];
  const started = performance.now();
  let reference: ReferenceCost | undefined;
  let tightest: CaseRecord | undefined;
  let cases = 0;
  let current: { index: number; description: string } | undefined;
  return new Promise((resolve) => {
    const child = startChild({ modelPath, seed, count, policy });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (fatal?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve({ model, cases, counts, failures, tightest, reference, totalMs: performance.now() - started, ...(fatal ? { fatal } : {}) });
    };
    const arm = (ms: number, what: () => string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (current) failures.push({ ...current, outcome: 'hang', detail: `no result after ${ms} ms (wall)`, cpuMs: NaN, boundMs: NaN });
        finish(what());
      }, ms);
    };
    // Setup loads the child's modules and loads and runs the unmutated model three times.
    arm(bound.hangMs * 3, () => `setup (loading and running the unmutated model) took over ${bound.hangMs * 3} ms`);
    child.on('message', (m: FuzzMessage) => {
      switch (m.type) {
        case 'ready': reference = m.reference; clearTimeout(timer); break;
        case 'start':
          current = { index: m.index, description: m.description };
          arm(bound.hangMs, () => `case ${m.index} (${m.description}) hung: no result after ${bound.hangMs} ms`);
          break;
        case 'done': {
          clearTimeout(timer);
          cases++;
          counts[m.result.outcome]++;
          // A refusal at run time may have executed most of the graph before the failing node.
          const boundMs = caseBound(reference!, m.result.outcome === 'ran' || m.result.outcome === 'refused-run', bound);
          const record: CaseRecord = { index: m.index, description: current?.description ?? '', outcome: m.result.outcome, detail: m.result.detail, cpuMs: m.cpuMs, boundMs };
          if (m.result.outcome === 'untyped') failures.push(record);
          else if (m.cpuMs > boundMs) failures.push({ ...record, outcome: 'too-slow', detail: `${m.cpuMs.toFixed(0)} CPU ms > bound ${boundMs.toFixed(0)} (${m.result.outcome} ${m.result.detail})` });
          if (!tightest || m.cpuMs / boundMs > tightest.cpuMs / tightest.boundMs) tightest = record;
          current = undefined;
          break;
        }
        case 'end': finish(); break;
      }
    });
    child.on('error', (error) => finish(`could not start the fuzz process: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (finished) return;
      if (current) failures.push({ ...current, outcome: 'untyped', detail: `the fuzz process died (${signal ?? `exit ${code}`}): ${stderr}`, cpuMs: NaN, boundMs: NaN });
      finish(`the fuzz process ended early (${signal ?? `exit ${code}`}) after ${cases} cases: ${stderr}`);
    });
  });
}

/**
 * Runs the fuzz cases of one model in a child process, so the parent can stop a case that hangs and so each
 * process's CPU time is its own cases'. Sends 'start' (with the mutation's description) before each case and
 * 'done' (with its outcome and cost) after it.
 */
import { readFileSync } from 'node:fs';
import { cpuMsSince, ModelFuzzer, type CaseResult, type FuzzPolicy, type ReferenceCost } from './fuzz-case.js';

export interface FuzzJob {
  readonly modelPath: string;
  readonly seed: number;
  readonly count: number;
  readonly policy: FuzzPolicy;
}

export type FuzzMessage =
  | { readonly type: 'ready'; readonly ms: number; readonly reference: ReferenceCost }
  | { readonly type: 'start'; readonly index: number; readonly description: string }
  | { readonly type: 'done'; readonly index: number; readonly result: CaseResult; readonly cpuMs: number; readonly wallMs: number }
  | { readonly type: 'end' };

const post = (m: FuzzMessage): Promise<void> => new Promise((resolve) => { process.send!(m, () => resolve()); });

async function main(job: FuzzJob): Promise<void> {
  const t0 = performance.now();
  const fuzzer = new ModelFuzzer(readFileSync(job.modelPath), job.seed, job.policy);
  const reference = await fuzzer.init();
  await post({ type: 'ready', ms: performance.now() - t0, reference });
  for (let index = 0; index < job.count; index++) {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    // The case's cost includes building the mutant (at most a parse and a re-encode of the file).
    const { bytes, description } = fuzzer.describe(index);
    void post({ type: 'start', index, description });
    const result = await fuzzer.runCase(bytes);
    const cpuMs = cpuMsSince(cpu);
    await post({ type: 'done', index, result, cpuMs, wallMs: performance.now() - wall });
  }
  await post({ type: 'end' });
  process.disconnect?.();
}

if (process.send) await main(JSON.parse(process.argv[2]!) as FuzzJob);

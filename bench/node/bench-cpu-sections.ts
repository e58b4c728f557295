/**
 * What one parallel section costs (cpuThreads): sections of `--tasks` small tasks (a 16 KiB clear each, ~0.5 µs) timed
 * back to back on the calling thread, with the workers spinning between sections and with them sleeping (a futex
 * wake per section), and how many of the tasks the workers got to. Then one 0.59M-MAC GEMM (a Winograd band's) as a
 * section of 4 tasks against the same call on one thread.
 *
 *   npx tsx bench/node/bench-cpu-sections.ts [--threads 2] [--tasks 4] [--count 2000]
 *
 * A benchmark, not a test: it prints medians and never asserts on time.
 */
import { forceSpin, sectionTotals } from '../../src/ops/wasm/kernel-threads.js';
import { prepareSimdKernels, releaseSimdArena, retainSimdArena, simdKernels, withSimdThreads } from '../../src/ops/wasm/runtime.js';
import { integerFlag, parseFlags } from './bench-args.js';

const values = parseFlags(process.argv.slice(2), {
  threads: { type: 'string', default: '2' },
  tasks: { type: 'string', default: '4' },
  count: { type: 'string', default: '2000' },
});
const threads = integerFlag('threads', values.threads, 2);
const tasks = integerFlag('tasks', values.tasks, 2);
const count = integerFlag('count', values.count, 10);
retainSimdArena(threads);
await prepareSimdKernels();
const k = simdKernels()!;
k.arena(1 << 20);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const spin of [true, false]) {
  forceSpin(spin);
  withSimdThreads(threads, () => {
    const times: number[] = [];
    const from = { ...sectionTotals };
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      k.parallel(tasks, (t, kk) => kk.zeroBytes(16384 * t, 16384));
      times.push(performance.now() - t0);
    }
    const workerShare = 1 - (sectionTotals.callerTasks - from.callerTasks) / (sectionTotals.tasks - from.tasks);
    console.log(`${spin ? 'spinning' : 'sleeping'} workers: a section of ${tasks} 16 KiB clears takes ${(1000 * median(times)).toFixed(1)} µs (median of ${count}); workers ran ${(100 * workerShare).toFixed(0)}% of the tasks`);
  });
}
forceSpin(undefined);
// One Winograd band's GEMM of a 48→48 layer: 12 panels × 32 strips × k 48 (0.59M MAC).
const arena = k.arena(1 << 20);
for (let i = 0; i < 1 << 20; i++) arena[i] = ((i % 97) - 48) / 97;
const gemm = (): void => k.gemmBias(0, 16 * 48, 4 << 16, 4 * 256, 8 << 16, 4 * 256, 12, 32, 48, 12 << 16);
for (const t of [1, threads]) {
  withSimdThreads(t, () => {
    for (let i = 0; i < 200; i++) gemm();
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      gemm();
      times.push(performance.now() - t0);
    }
    console.log(`0.59M-MAC gemmBias, ${t} thread${t > 1 ? 's' : ''}: ${(1000 * median(times)).toFixed(1)} µs (median of ${count})`);
  });
}
releaseSimdArena();

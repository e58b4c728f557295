/**
 * Ours at cpuThreads 1 against cpuThreads 2 alone (no peer between them, whose thread pool would still be spinning),
 * in interleaved pairs: each side's minimum and median and the speedup of the minima and the median of the pairs.
 * `spin` / `sleep` force the workers to spin or sleep between sections; `auto` (default) lets the load decide.
 *
 *   npx tsx bench/node/bench-cpu-threads.ts scrfd|mfn [ROUNDS] [auto|spin|sleep]
 *
 * Reads the test-bed models from ../shared/models. A benchmark, not a test: it prints and never asserts on time.
 */
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from '../../src/index.js';
import { forceSpin } from '../../src/ops/wasm/kernel-threads.js';
const mode = process.argv[4] ?? 'auto';
if (mode === 'spin') forceSpin(true); else if (mode === 'sleep') forceSpin(false);
const which = process.argv[2] ?? 'scrfd';
const rounds = Number(process.argv[3] ?? 9);
const [file, size] = which === 'mfn' ? ['mobilefacenet.onnx', 112] : ['scrfd_2.5g_bnkps.onnx', 640];
const bytes = readFileSync(join(import.meta.dirname, '../../../shared/models', file));
const s1 = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: 1 });
const s2 = await InferenceSession.create(bytes, { backend: 'cpu', cpuThreads: 2 });
const feed = { [s1.inputNames[0]!]: new Tensor('float32', new Float32Array(3 * size * size).map((_, i) => Math.sin(i * 0.37)), [1, 3, size, size]) };
const inner = which === 'mfn' ? 10 : 1;
const time = async (s: InferenceSession) => { const t0 = performance.now(); for (let i = 0; i < inner; i++) await s.run(feed); return (performance.now() - t0) / inner; };
await time(s1); await time(s2); await time(s1); await time(s2);
const a: number[] = [], b: number[] = [], r: number[] = [];
for (let i = 0; i < rounds; i++) { const x = await time(s1); const y = await time(s2); a.push(x); b.push(y); r.push(x / y); }
const med = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1]!;
console.log(`${which} ${mode} 1T min ${Math.min(...a).toFixed(1)} med ${med(a).toFixed(1)} | 2T min ${Math.min(...b).toFixed(1)} med ${med(b).toFixed(1)} | speedup min/min ${(Math.min(...a) / Math.min(...b)).toFixed(2)}x, median pair ${med(r).toFixed(2)}x`);
process.exit(0);

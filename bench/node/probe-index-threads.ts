/**
 * Why two search threads may not beat one at large N: times, over the same rows, (1) one thread's plain read of all
 * rows and two threads each reading half at once (the machine's memory bandwidth for one and two readers), and (2)
 * FaceIndex's threaded search split into its parts: the calling thread's range alone, the whole synchronous search
 * (caller + one worker), the async search (two workers), and the one-thread path. Minimum and median of `runs`
 * (a shared box: the minimum is the least disturbed run). A benchmark, not a test.
 *
 *   node --import tsx bench/node/probe-index-threads.ts [N=1000000] [runs=7]
 */
import { Worker } from 'node:worker_threads';
import { loadavg } from 'node:os';
import { FaceIndex } from '../../src/pipeline/identity/index.js';
import { topOfRange } from '../../src/pipeline/identity/search-range.js';
import { DOT_BLOCK } from '../../src/ops/wasm/row-dots.js';
import { Prng } from '../../models/forge/prng.js';

const n = Number(process.argv[2] ?? 1_000_000), runs = Number(process.argv[3] ?? 7), dim = 512;
const stats = (xs: number[]): string => { const s = [...xs].sort((a, b) => a - b); return `min ${s[0]!.toFixed(1)} ms, median ${s[s.length >> 1]!.toFixed(1)} ms`; };
/** This process's CPU ms (every thread's, user + system). */
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
/** CPU time over wall time of the runs: about 1 when the threads took turns on one core, about 2 when they ran at once. */
const overlaps: Record<string, number[]> = {};
const overlap = (what: string, wall: number, cpu: number): void => { (overlaps[what] ??= []).push(cpu / wall); };

// (1) Plain readers over one SharedArrayBuffer of n × dim floats: a sum per 4 floats, as a dot loop streams them.
const floats = new Float32Array(new SharedArrayBuffer(n * dim * 4));
const prng = new Prng(7);
for (let i = 0; i < floats.length; i += 4096) floats.set(prng.fillRange(Math.min(4096, floats.length - i), -1, 1), i);
const readerSource = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ f, a, b, spin }) => { const t = performance.now(); let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  if (spin) for (let i = a; i < b; i += 4) { s0 += i * 1e-9; s1 += s0 * 1e-3; s2 += s1 * 1e-3; s3 += s2 * 1e-3; }
  else for (let i = a; i < b; i += 4) { s0 += f[i]; s1 += f[i + 1]; s2 += f[i + 2]; s3 += f[i + 3]; }
  parentPort.postMessage({ ms: performance.now() - t, s: s0 + s1 + s2 + s3 }); });`;
const readers = [new Worker(readerSource, { eval: true }), new Worker(readerSource, { eval: true })];
const read = (w: Worker, a: number, b: number, spin = false): Promise<number> => new Promise((resolve) => { w.once('message', (m: { ms: number }) => resolve(m.ms)); w.postMessage({ f: floats, a, b, spin }); });
const one: number[] = [], two: number[] = [], spinOne: number[] = [], spinTwo: number[] = [];
for (let r = 0; r < runs + 1; r++) {
  const time = async (what: string, f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now(), c = cpuMs();
    await f();
    const wall = performance.now() - t;
    overlap(what, wall, cpuMs() - c);
    return wall;
  };
  const a = await time('plain read, 1 thread', () => read(readers[0]!, 0, floats.length));
  const b = await time('plain read, 2 threads', () => Promise.all([read(readers[0]!, 0, floats.length / 2), read(readers[1]!, floats.length / 2, floats.length)]));
  // The same loop on registers only: whether this box gives two threads two cores now, memory aside.
  const c = await time('arithmetic, 1 thread', () => read(readers[0]!, 0, floats.length, true));
  const d = await time('arithmetic, 2 threads', () => Promise.all([read(readers[0]!, 0, floats.length / 2, true), read(readers[1]!, floats.length / 2, floats.length, true)]));
  if (r > 0) { one.push(a); two.push(b); spinOne.push(c); spinTwo.push(d); }
}
console.log(`arithmetic only, 1 thread: ${stats(spinOne)}; 2 threads (half each): ${stats(spinTwo)}`);
for (const w of readers) await w.terminate();
const gb = (n * dim * 4) / 1e9;
console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${n} × ${dim} floats (${gb.toFixed(2)} GB)`);
console.log(`plain read, 1 thread:  ${stats(one)} (${(gb / (Math.min(...one) / 1000)).toFixed(1)} GB/s at the min)`);
console.log(`plain read, 2 threads: ${stats(two)} (${(gb / (Math.min(...two) / 1000)).toFixed(1)} GB/s at the min)`);

// (2) FaceIndex's parts over the same rows.
const index = new FaceIndex({ dim, maxEntries: n, threads: 2 });
for (let r = 0; r < n; r++) index.add(`e${r}`, floats.subarray(r * dim, (r + 1) * dim));
floats.fill(0); // only the index's copy stays hot in the page tables
const q = prng.fillRange(dim, -1, 1);
// The index's own rows (a private field): the probe times one range the way a search thread scores it.
const store = (index as unknown as { store: { dots: Parameters<typeof topOfRange>[0]; rowSq: Float64Array; owner: Int32Array; ids: string[]; count: number } }).store;
// The query as the index scores it: normed (Face.normed_embedding's rule), with its float64 norm.
let s = 0; for (const x of q) s += x * x;
const normed = q.map((x) => x / Math.fround(Math.sqrt(s)));
let s2 = 0; for (const x of normed) s2 += x * x;
const norms = Float64Array.of(Math.sqrt(s2));
const half = Math.floor(n / 2 / 8) * 8;
const parts: Record<string, number[]> = { 'caller range alone (half the rows)': [], 'caller range, whole rows': [], 'threaded search (caller + 1 worker)': [], 'async search (2 workers)': [] };
for (let r = 0; r < runs + 1; r++) {
  const rows = { rowSq: store.rowSq, owner: store.owner, identities: store.ids.length };
  let t = performance.now(); topOfRange(store.dots, normed, norms, rows, 0, half, 10, -Infinity, DOT_BLOCK); const a = performance.now() - t;
  t = performance.now(); topOfRange(store.dots, normed, norms, rows, 0, n, 10, -Infinity, DOT_BLOCK); const b = performance.now() - t;
  let cpu = cpuMs();
  t = performance.now(); index.search(q, { k: 10 }); const c = performance.now() - t;
  overlap('threaded search', c, cpuMs() - cpu);
  cpu = cpuMs();
  t = performance.now(); await index.searchAsync(q, { k: 10 }); const d = performance.now() - t;
  overlap('async search', d, cpuMs() - cpu);
  if (r > 0) { parts['caller range alone (half the rows)']!.push(a); parts['caller range, whole rows']!.push(b); parts['threaded search (caller + 1 worker)']!.push(c); parts['async search (2 workers)']!.push(d); }
}
for (const [what, xs] of Object.entries(parts)) console.log(`${what}: ${stats(xs)}`);
for (const [what, xs] of Object.entries(overlaps)) console.log(`cpu/wall ${what}: ${xs.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
index.dispose();

/**
 * Face-index benchmark: exact top-k search over N random unit vectors (default 512-d, N = 10k, 100k, 1M), in one run:
 * - the CPU path (`FaceIndex.search`, one query; and `searchMany` of a batch, per query), with its rows in WebAssembly
 *   memory scored by the SIMD kernel, on one thread and on `--threads` threads (default: FaceIndex's 'auto' count),
 *   and the same index on the JS loop (the kernel off) as the path it replaces;
 * - a plain Float32Array dot-product loop over the same rows (one sum per row, best kept), and two memory-bandwidth
 *   bounds of reading the rows once: at the read rate of one thread's TypedArray copies, and at the rate of one
 *   thread's plain Float32Array dot loop over 64 MiB (the issue's wording), with the CPU paths' ratios to them;
 * - the GPU path (`searchAsync` on WebGPU: kernel + exact confirmation), f32 and f16 rows, with f16's raw recall@k;
 * - hnswlib-node ('cosine' space) as the approximate peer: build time, latency and recall@k against the exact result;
 * - peak memory per N (the index's CPU and GPU bytes, and the process's RSS);
 * - the wall time of one `remove`, over 1% of the identities.
 * A benchmark, not a test: it prints medians and ratios and never asserts on time.
 *
 *   npm run bench -- --index [--sizes 10000,100000,1000000] [--dim 512] [--k 10] [--queries 16] [--runs 5]
 *                   [--gpu auto|off|software] [--gpu-max N] [--hnsw-max N] [--ef 64] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { acquireDevice, type GpuDevice } from '../../src/backends/webgpu/device.js';
import { FaceIndex } from '../../src/pipeline/identity/index.js';
import { GpuRowSearch } from '../../src/pipeline/identity/search-gpu.js';
import { setRowDotsEnabled } from '../../src/ops/wasm/row-dots.js';
import { autoThreadCount } from '../../src/pipeline/identity/search-threads.js';
import { Prng } from '../../models/forge/prng.js';
import { BenchUsageError, integerFlag, parseFlags } from './bench-args.js';
import { median } from './bench-util.js';

export const INDEX_BENCH_USAGE = `usage: npm run bench -- --index [--sizes 10000,100000,1000000] [--dim 512] [--k 10] [--queries 16] [--runs 5]
                        [--gpu auto|off|software] [--gpu-max N] [--hnsw-max N] [--js-max N] [--ef 64] [--threads N] [--json FILE]
  --sizes       entry counts N (default 10000,100000,1000000)
  --queries     distinct queries per N (default 16); latencies are medians over queries × runs
  --gpu         auto (default): a hardware adapter when there is one; software: SwiftShader too; off: CPU only
  --gpu-max N   largest N searched on the GPU (default: all on hardware, 10000 on a software adapter)
  --hnsw-max N  largest N given to hnswlib-node (default 100000: its build is single-threaded and slow beyond)
  --js-max N    largest N also searched with the SIMD kernel off (the JS loop; default 1000000)
  --ef N        hnswlib's search breadth (default 64; M 16, efConstruction 100)
  --threads N   threads of the threaded CPU search (default: FaceIndex's 'auto', the cores Node reports, at most 8)`;

/** One N's measurements (milliseconds per query unless named otherwise). */
export interface IndexBenchRow {
  n: number;
  dim: number;
  k: number;
  cpu_ms: number;
  cpu_batch_ms: number;
  plain_loop_ms: number;
  bandwidth_bound_ms: number;
  bandwidth_gb_s: number;
  cpu_over_plain: number;
  cpu_over_bound: number;
  /** The same three on CPU time (this process's user + system), steadier than wall time on a shared machine. */
  cpu_time_ms: number;
  cpu_time_over_plain: number;
  cpu_time_over_bound: number;
  /** The threaded CPU path (`threads` threads, forced at every N): wall ms per query, and its ratios to both bounds. */
  threads: number;
  cpu_threads_ms: number;
  /** The threaded search's CPU time (all threads) over its wall time: near 1 when the box gave the threads one core between them. */
  cpu_threads_parallelism: number;
  /** `searchAsync` on the threads (every range on a worker, the caller awaiting): wall ms per query. */
  cpu_threads_async_ms: number;
  /** Wall ms per `remove` of one identity, over 1% of the identities (at least 100), from the one-thread index. */
  remove_ms: number;
  cpu_threads_over_bound: number;
  cpu_threads_over_dot_bound: number;
  /** The bound at the plain dot loop's rate (64 MiB, one thread), and the one-thread path's ratio to it. */
  dot_bound_ms: number;
  cpu_over_dot_bound: number;
  /** The CPU path with the SIMD kernel off (its JS loop): wall and CPU ms per query, and CPU time over the bound. */
  cpu_js_ms?: number;
  cpu_js_time_ms?: number;
  cpu_js_time_over_bound?: number;
  gpu: string;
  gpu_ms?: number;
  gpu_batch_ms?: number;
  gpu_kernel_ms?: number;
  gpu_upload_ms?: number;
  gpu_f16_ms?: number;
  f16_recall?: number;
  hnsw_build_s?: number;
  hnsw_ms?: number;
  hnsw_recall?: number;
  index_cpu_bytes: number;
  index_gpu_bytes?: number;
  index_gpu_f16_bytes?: number;
  peak_rss_bytes: number;
}

function unitRows(prng: Prng, n: number, dim: number): Float32Array {
  const rows = prng.fillRange(n * dim, -1, 1);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += rows[r * dim + i]! ** 2;
    const norm = Math.fround(Math.sqrt(s));
    for (let i = 0; i < dim; i++) rows[r * dim + i] = rows[r * dim + i]! / norm;
  }
  return rows;
}

/** The peer loop: one double sum per row in index order, the best score kept (what a first implementation writes). */
function plainLoop(rows: Float32Array, n: number, dim: number, q: Float32Array): number {
  let best = -Infinity;
  for (let r = 0; r < n; r++) {
    let dot = 0;
    const o = r * dim;
    for (let i = 0; i < dim; i++) dot += q[i]! * rows[o + i]!;
    if (dot > best) best = dot;
  }
  return best;
}

/** This process's CPU time in ms (user + system): on a shared machine it counts only the time we ran. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Median wall-clock and CPU milliseconds of `fn` over the queries × runs (after one untimed call). */
function timeEach(queries: Float32Array[], runs: number, fn: (q: Float32Array) => void): { wall: number; cpu: number } {
  fn(queries[0]!);
  const wall: number[] = [], cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    for (const q of queries) {
      const t = performance.now(), c = cpuMs();
      fn(q);
      cpu.push(cpuMs() - c);
      wall.push(performance.now() - t);
    }
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** Bytes per second (wall clock, and per CPU second) that one thread copies between two 64 MiB arrays. */
function copyBandwidth(): { wall: number; cpu: number } {
  const a = new Float32Array(16 << 20).fill(1), b = new Float32Array(16 << 20);
  const t = timeEach([a, a, a, a, a, a], 1, () => b.set(a));
  // Reads are what a search needs; a copy moves the bytes twice, so its read rate is 2 × bytes / time.
  return { wall: (2 * a.byteLength) / (t.wall / 1000), cpu: (2 * a.byteLength) / (t.cpu / 1000) };
}

/** Bytes per second one thread's plain Float32Array dot loop reads over 64 MiB (out of cache), wall clock. */
function dotLoopBandwidth(): number {
  const dim = 512, n = (16 << 20) / dim;
  const rows = new Float32Array(n * dim).fill(0.5), q = new Float32Array(dim).fill(0.25);
  const t = timeEach([q, q, q, q, q, q], 1, (x) => { plainLoop(rows, n, dim, x); });
  return rows.byteLength / (t.wall / 1000);
}

async function timeEachAsync(queries: Float32Array[], runs: number, fn: (q: Float32Array) => Promise<unknown>): Promise<number> {
  await fn(queries[0]!);
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) for (const q of queries) { const t = performance.now(); await fn(q); samples.push(performance.now() - t); }
  return median(samples);
}

const recallOf = (got: readonly (readonly string[])[], want: readonly (readonly string[])[]): number =>
  got.reduce((s, g, i) => s + g.filter((id) => want[i]!.includes(id)).length, 0) / want.reduce((s, w) => s + w.length, 0);

async function loadHnsw(): Promise<(typeof import('hnswlib-node'))['HierarchicalNSW'] | undefined> {
  try {
    // A CommonJS addon: under ESM its exports arrive as the default export.
    const mod = (await import('hnswlib-node')) as typeof import('hnswlib-node') & { default?: typeof import('hnswlib-node') };
    const found = mod.HierarchicalNSW ?? mod.default?.HierarchicalNSW;
    if (!found) throw new Error('no HierarchicalNSW export');
    return found;
  } catch (error) {
    console.error(`hnswlib-node unavailable (${(error as Error).message.split('\n')[0]}); its columns are '-'`);
    return undefined;
  }
}

/** `npm run bench -- --index …`: returns the exit code. */
export async function benchIndex(argv: readonly string[]): Promise<number> {
  const v = parseFlags(argv, {
    index: { type: 'boolean' }, sizes: { type: 'string', default: '10000,100000,1000000' }, dim: { type: 'string', default: '512' },
    k: { type: 'string', default: '10' }, queries: { type: 'string', default: '16' }, runs: { type: 'string', default: '5' },
    gpu: { type: 'string', default: 'auto' }, 'gpu-max': { type: 'string' }, 'hnsw-max': { type: 'string', default: '100000' },
    ef: { type: 'string', default: '64' }, threads: { type: 'string' }, 'js-max': { type: 'string', default: '1000000' }, json: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (v.help) { console.log(INDEX_BENCH_USAGE); return 0; }
  const sizes = v.sizes.split(',').map((s) => integerFlag('sizes', s.trim(), 1));
  const dim = integerFlag('dim', v.dim, 1), k = integerFlag('k', v.k, 1), nq = integerFlag('queries', v.queries, 1);
  const jsMax = integerFlag('js-max', v['js-max'], 0);
  const threads = v.threads !== undefined ? integerFlag('threads', v.threads, 1) : autoThreadCount();
  const runs = integerFlag('runs', v.runs, 1), hnswMax = integerFlag('hnsw-max', v['hnsw-max'], 0), ef = integerFlag('ef', v.ef, 1);
  if (!['auto', 'off', 'software'].includes(v.gpu)) throw new BenchUsageError(`--gpu must be auto, off or software, not '${v.gpu}'`);
  let gpu: GpuDevice | undefined;
  if (v.gpu !== 'off') {
    if (v.gpu === 'software') process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
    gpu = await acquireDevice({ allowSoftwareAdapter: v.gpu === 'software' }).catch((e: unknown) => {
      console.error(`no GPU path: ${(e as Error).message}`);
      return undefined;
    });
  }
  const gpuMax = v['gpu-max'] !== undefined ? integerFlag('gpu-max', v['gpu-max'], 0) : gpu?.isSoftware ? 10_000 : Infinity;
  if (gpu) console.log(`GPU: ${gpu.description}${gpu.isSoftware ? ` (software: only N ≤ ${gpuMax})` : ''}`);
  const Hnsw = hnswMax > 0 ? await loadHnsw() : undefined;
  const bandwidth = copyBandwidth();
  const dotBandwidth = dotLoopBandwidth();
  console.log(`cores ${availableParallelism()}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')} (1/5/15 min), threads ${threads}; `
    + `one thread reads ${(bandwidth.wall / 1e9).toFixed(1)} GB/s copying, ${(dotBandwidth / 1e9).toFixed(1)} GB/s in a plain dot loop`);
  const rows: IndexBenchRow[] = [];
  const writeReport = (): void => {
    if (v.json) writeFileSync(v.json, JSON.stringify({ bandwidth_gb_s: bandwidth.wall / 1e9, bandwidth_per_cpu_s_gb: bandwidth.cpu / 1e9,
      dot_loop_gb_s: dotBandwidth / 1e9, cores: availableParallelism(), load: loadavg(), threads, gpu: gpu?.description ?? null, rows }, null, 1));
  };
  for (const n of sizes) {
    const prng = new Prng(0x15 + n);
    const data = unitRows(prng, n, dim);
    const queries = Array.from({ length: nq }, (_, i) => {
      // Half the queries are near an entry (a re-photographed face), half random.
      const q = i % 2 === 0 ? data.slice(((i * 7919) % n) * dim, ((i * 7919) % n + 1) * dim).map((x) => x + 0.02 * prng.uniform()) : prng.fillRange(dim, -1, 1);
      return q;
    });
    let peakRss = process.memoryUsage().rss;
    const sample = (): void => { peakRss = Math.max(peakRss, process.memoryUsage().rss); };
    const index = new FaceIndex({ dim, maxEntries: n, threads: 1 });
    for (let r = 0; r < n; r++) index.add(`e${r}`, data.subarray(r * dim, (r + 1) * dim));
    sample();
    const exact = index.searchMany(queries, { k }).map((h) => h.map((x) => x.id));
    const cpu = timeEach(queries, runs, (q) => { index.search(q, { k }); });
    const batchStart = performance.now();
    for (let r = 0; r < runs; r++) index.searchMany(queries, { k });
    const cpuBatchMs = (performance.now() - batchStart) / (runs * nq);
    const plain = timeEach(queries, runs, (q) => { plainLoop(data, n, dim, q); });
    const boundMs = ((n * dim * 4) / bandwidth.wall) * 1000;
    const boundCpuMs = ((n * dim * 4) / bandwidth.cpu) * 1000;
    const dotBoundMs = ((n * dim * 4) / dotBandwidth) * 1000;
    // The threaded path at every N (a number of threads forces them; 'auto' would stay on one thread below its size).
    const threaded = new FaceIndex({ dim, maxEntries: n, threads });
    for (let r = 0; r < n; r++) threaded.add(`e${r}`, data.subarray(r * dim, (r + 1) * dim));
    sample();
    if (JSON.stringify(threaded.searchMany(queries, { k })) !== JSON.stringify(index.searchMany(queries, { k }))) console.error(`!! the threaded hits differ from one thread's at N=${n}`);
    const threadedTimes = timeEach(queries, runs, (q) => { threaded.search(q, { k }); });
    const threadedMs = threadedTimes.wall;
    const threadedAsyncMs = await timeEachAsync(queries, runs, (q) => threaded.searchAsync(q, { k }));
    threaded.dispose();
    const row: IndexBenchRow = {
      n, dim, k, cpu_ms: cpu.wall, cpu_batch_ms: cpuBatchMs, plain_loop_ms: plain.wall, bandwidth_bound_ms: boundMs,
      bandwidth_gb_s: bandwidth.wall / 1e9, cpu_over_plain: cpu.wall / plain.wall, cpu_over_bound: cpu.wall / boundMs,
      cpu_time_ms: cpu.cpu, cpu_time_over_plain: cpu.cpu / plain.cpu, cpu_time_over_bound: cpu.cpu / boundCpuMs,
      threads, cpu_threads_ms: threadedMs, cpu_threads_parallelism: threadedTimes.cpu / threadedTimes.wall, cpu_threads_async_ms: threadedAsyncMs,
      remove_ms: 0, cpu_threads_over_bound: threadedMs / boundMs, cpu_threads_over_dot_bound: threadedMs / dotBoundMs,
      dot_bound_ms: dotBoundMs, cpu_over_dot_bound: cpu.wall / dotBoundMs,
      gpu: gpu ? (n <= gpuMax ? gpu.description : 'skipped (software adapter, N too large)') : 'none',
      index_cpu_bytes: index.memoryBytes.cpu, peak_rss_bytes: 0,
    };
    if (n <= jsMax) {
      setRowDotsEnabled(false);
      const js = new FaceIndex({ dim, maxEntries: n, threads: 1 });
      setRowDotsEnabled(true);
      for (let r = 0; r < n; r++) js.add(`e${r}`, data.subarray(r * dim, (r + 1) * dim));
      sample();
      if (JSON.stringify(js.searchMany(queries, { k })) !== JSON.stringify(index.searchMany(queries, { k }))) console.error(`!! the JS loop's hits differ from the SIMD kernel's at N=${n}`);
      const t = timeEach(queries, runs, (q) => { js.search(q, { k }); });
      Object.assign(row, { cpu_js_ms: t.wall, cpu_js_time_ms: t.cpu, cpu_js_time_over_bound: t.cpu / boundCpuMs });
      js.dispose();
    }
    if (gpu && n <= gpuMax) await benchGpu(gpu, data, n, dim, k, queries, runs, exact, row, sample);
    if (Hnsw && n <= hnswMax) {
      const h = new Hnsw('cosine', dim);
      const t = performance.now();
      h.initIndex({ maxElements: n, m: 16, efConstruction: 100, randomSeed: 100 });
      for (let r = 0; r < n; r++) h.addPoint(Array.from(data.subarray(r * dim, (r + 1) * dim)), r);
      row.hnsw_build_s = (performance.now() - t) / 1000;
      h.setEf(Math.max(ef, k));
      const plainQueries = queries.map((q) => Array.from(q));
      row.hnsw_ms = timeEach(queries, runs, (q) => { h.searchKnn(plainQueries[queries.indexOf(q)]!, k); }).wall;
      row.hnsw_recall = recallOf(plainQueries.map((q) => h.searchKnn(q, k).neighbors.map((r) => `e${r}`)), exact);
      sample();
    }
    // Removes spread over the index (every step-th identity), timed together.
    const removals = Math.min(n, Math.max(100, Math.floor(n / 100))), step = Math.floor(n / removals);
    const removeStart = performance.now();
    for (let i = 0; i < removals; i++) index.remove(`e${i * step}`);
    row.remove_ms = (performance.now() - removeStart) / removals;
    row.peak_rss_bytes = peakRss;
    rows.push(row);
    printRow(row);
    index.dispose();
    // Rewritten after every size, so a run stopped at its time limit keeps the sizes it finished.
    writeReport();
  }
  printTable(rows);
  writeReport();
  gpu?.release();
  return 0;
}

async function benchGpu(gpu: GpuDevice, data: Float32Array, n: number, dim: number, k: number, queries: Float32Array[], runs: number,
  exact: string[][], row: IndexBenchRow, sample: () => void): Promise<void> {
  for (const precision of ['f32', 'f16'] as const) {
    const index = new FaceIndex({ dim, maxEntries: n, backend: 'webgpu', device: gpu.device, gpuPrecision: precision });
    for (let r = 0; r < n; r++) index.add(`e${r}`, data.subarray(r * dim, (r + 1) * dim));
    const t = performance.now();
    const first = await index.searchManyAsync(queries, { k }); // uploads every row, then searches
    const uploadMs = performance.now() - t;
    if (JSON.stringify(first.map((h) => h.map((x) => x.id))) !== JSON.stringify(exact)) console.error(`!! GPU ${precision} ids differ from the CPU path's at N=${n}`);
    const ms = await timeEachAsync(queries, runs, (q) => index.searchAsync(q, { k }));
    const b = performance.now();
    for (let r = 0; r < runs; r++) await index.searchManyAsync(queries, { k });
    const batchMs = (performance.now() - b) / (runs * queries.length);
    sample();
    if (precision === 'f32') {
      Object.assign(row, { gpu_ms: ms, gpu_batch_ms: batchMs, gpu_upload_ms: uploadMs, index_gpu_bytes: index.memoryBytes.gpu });
    } else {
      Object.assign(row, { gpu_f16_ms: ms, index_gpu_f16_bytes: index.memoryBytes.gpu });
    }
    index.dispose();
  }
  // The kernels alone (no exact confirmation), f32 for latency and f16 for its raw recall against the exact ids.
  for (const precision of ['f32', 'f16'] as const) {
    const mirror = new GpuRowSearch(gpu.device, dim, precision);
    mirror.write(data, 0, n);
    const q = new Float32Array(queries.length * dim);
    queries.forEach((x, i) => {
      const s = Math.fround(Math.sqrt(x.reduce((a, v) => a + v * v, 0)));
      q.set(x.map((v) => v / s), i * dim);
    });
    if (precision === 'f32') {
      row.gpu_kernel_ms = await timeEachAsync(queries.map((_, i) => q.subarray(i * dim, (i + 1) * dim)), runs, (one) => mirror.topRows(one, 1, k));
    } else {
      const top = await mirror.topRows(q, queries.length, k);
      const got = queries.map((_, i) => Array.from(top.rows.subarray(i * k, (i + 1) * k), (r) => `e${r}`));
      row.f16_recall = recallOf(got, exact);
    }
    mirror.destroy();
  }
}

const fmt = (x: number | undefined, digits = 2): string => (x === undefined ? '-' : x < 0.1 ? x.toPrecision(2) : x.toFixed(digits));
const mib = (b: number | undefined): string => (b === undefined ? '-' : `${(b / 2 ** 20).toFixed(0)} MiB`);

function printRow(r: IndexBenchRow): void {
  console.log(`N=${r.n}: cpu ${fmt(r.cpu_ms)} ms, ${r.threads} threads ${fmt(r.cpu_threads_ms)} ms (cpu/wall ${fmt(r.cpu_threads_parallelism)}, async ${fmt(r.cpu_threads_async_ms)} ms) (JS loop ${fmt(r.cpu_js_ms)} ms), plain loop ${fmt(r.plain_loop_ms)} ms, bound ${fmt(r.bandwidth_bound_ms)} ms, gpu ${fmt(r.gpu_ms)} ms, hnsw ${fmt(r.hnsw_ms)} ms`);
}

function printTable(rows: readonly IndexBenchRow[]): void {
  const head = ['N', 'cpu ms', 'cpu batch ms/q', 'plain loop ms', 'cpu/plain', 'bw bound ms', 'cpu/bound', 'dot bound ms', 'cpu/dot bound',
    'threads', 'threaded ms', 'threaded cpu/wall', 'threaded async ms', 'threaded/bound', 'threaded/dot bound', 'remove ms', 'cpu-time ms', 'cpu/plain (cpu t)', 'cpu/bound (cpu t)',
    'js ms', 'js/bound (cpu t)', 'gpu ms', 'gpu batch ms/q',
    'gpu kernel ms', 'gpu upload ms', 'gpu f16 ms', 'f16 recall', 'cpu/gpu', 'hnsw ms', 'hnsw recall', 'hnsw build s',
    'index cpu', 'index gpu f32/f16', 'peak rss'];
  const body = rows.map((r) => [String(r.n), fmt(r.cpu_ms), fmt(r.cpu_batch_ms), fmt(r.plain_loop_ms), fmt(r.cpu_over_plain), fmt(r.bandwidth_bound_ms),
    fmt(r.cpu_over_bound), fmt(r.dot_bound_ms), fmt(r.cpu_over_dot_bound), String(r.threads), fmt(r.cpu_threads_ms), fmt(r.cpu_threads_parallelism), fmt(r.cpu_threads_async_ms), fmt(r.cpu_threads_over_bound),
    fmt(r.cpu_threads_over_dot_bound), fmt(r.remove_ms, 4), fmt(r.cpu_time_ms), fmt(r.cpu_time_over_plain), fmt(r.cpu_time_over_bound), fmt(r.cpu_js_ms), fmt(r.cpu_js_time_over_bound), fmt(r.gpu_ms), fmt(r.gpu_batch_ms), fmt(r.gpu_kernel_ms), fmt(r.gpu_upload_ms), fmt(r.gpu_f16_ms), fmt(r.f16_recall, 3),
    r.gpu_ms ? fmt(r.cpu_ms / r.gpu_ms) : '-', fmt(r.hnsw_ms, 3), fmt(r.hnsw_recall, 3), fmt(r.hnsw_build_s, 1),
    mib(r.index_cpu_bytes), `${mib(r.index_gpu_bytes)}/${mib(r.index_gpu_f16_bytes)}`, mib(r.peak_rss_bytes)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  console.log(`\nexact top-${rows[0]?.k ?? 10} search, ${rows[0]?.dim ?? 0}-d unit vectors (copy bandwidth ${fmt(rows[0]?.bandwidth_gb_s)} GB/s; bound = N·dim·4 B at that rate;`
    + ' dot bound = the same bytes at one thread\'s plain dot-loop rate;'
    + ' "cpu t" columns use this process\'s CPU time for both sides)');
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

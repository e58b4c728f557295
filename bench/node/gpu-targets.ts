/**
 * The GPU targets of issues 14 (compute core) and 15 (collections) as one table, read from the JSON files
 * `bench/device/run-gpu.sh` writes under its output folder:
 *
 *   node --import tsx bench/node/gpu-targets.ts OUTDIR [--markdown FILE]
 *
 * Each row gives the measured value, the target and a verdict: met, not met, or "not measured" with the reason (the
 * file is missing, the row is missing, the adapter is software). Nothing here is measured: it only reads what the
 * benchmarks wrote, so it runs anywhere in a second, and the script calls it last even when its time budget is spent.
 * The conv-heavy rows compare a model's achieved FLOP rate (2 FLOP per Conv/Gemm/MatMul MAC over its median wall
 * time, and over its summed GPU time from timestamp queries) with the yardstick: the best rate of the plain tiled
 * WGSL GEMM (bench-gemm.ts, `reference` kernel) on the same adapter in the same script run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the benchmarks wrote, each file parsed, or undefined where it is missing or unreadable (with why). */
export interface TargetInputs {
  readonly gemm?: unknown;
  readonly webgpu?: unknown;
  readonly swap?: unknown;
  readonly buffalo?: unknown;
  readonly fp16?: unknown;
  readonly index?: unknown;
  readonly collection?: unknown;
  /** Why a file gave nothing: "missing" or its parse error. */
  readonly problems: Readonly<Record<string, string>>;
}

export type Verdict = 'met' | 'not met' | 'not measured';

export interface TargetRow {
  readonly issue: 14 | 15;
  readonly what: string;
  readonly target: string;
  /** The measured value as printed, or the reason it is not measured. */
  readonly measured: string;
  readonly verdict: Verdict;
  readonly adapter: string;
}

const FILES = { gemm: 'gemm.json', webgpu: 'webgpu.json', swap: 'swap.json', buffalo: 'buffalo.json', fp16: 'fp16.json', index: 'index.json', collection: 'collection.json' } as const;

/** Reads the benchmark files of one run-gpu.sh output folder. */
export function readTargetInputs(dir: string): TargetInputs {
  const problems: Record<string, string> = {};
  const out: Record<string, unknown> = {};
  for (const [key, file] of Object.entries(FILES)) {
    const path = join(dir, file);
    if (!existsSync(path)) { problems[key] = `${file} missing`; continue; }
    try {
      out[key] = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      problems[key] = `${file} unreadable (${(error as Error).message})`;
    }
  }
  return { ...out, problems };
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (o: Obj | undefined, key: string): number | undefined => {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};
const str = (o: Obj | undefined, key: string): string | undefined => (typeof o?.[key] === 'string' ? o[key] as string : undefined);
const rowsOf = (v: unknown): Obj[] => (Array.isArray(v) ? v : isObj(v) && Array.isArray(v['rows']) ? v['rows'] as unknown[] : []).filter(isObj);
const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
const ms = (v: number): string => `${v < 10 ? v.toFixed(3) : v.toFixed(1)} ms`;
const times = (v: number): string => `${v.toFixed(2)}×`;
/** An adapter whose numbers are shown but never judged: a software rasteriser, not a GPU. */
export const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|software|cpu/i;

/** A row from a measured value: `good` says whether it meets the target. */
function judged(issue: 14 | 15, what: string, target: string, adapter: string, value: number | undefined, show: (v: number) => string,
  good: (v: number) => boolean, missing: string): TargetRow {
  if (value === undefined) return { issue, what, target, measured: `not measured (${missing})`, verdict: 'not measured', adapter };
  // A software adapter's numbers are real but say nothing about the GPU targets: shown, never judged.
  if (SOFTWARE_ADAPTER.test(adapter)) return { issue, what, target, measured: `${show(value)} (software adapter: not a GPU measurement)`, verdict: 'not measured', adapter };
  return { issue, what, target, measured: show(value), verdict: good(value) ? 'met' : 'not met', adapter };
}

/** The conv-heavy models of issue 14's first target and the rows that measure them. */
const CONV_HEAVY = ['det_10g@640', 'w600k_r50', 'w600k_r50@b8', '1k3d68'] as const;

/** Every GPU target row, from the parsed files. */
export function targetRows(inputs: TargetInputs): TargetRow[] {
  const why = (key: keyof typeof FILES, row?: string): string => inputs.problems[key] ?? (row ? `no ${row} row in ${FILES[key]}` : `nothing in ${FILES[key]}`);
  const rows: TargetRow[] = [];

  // The yardstick: the reference kernel's best rate.
  const gemm = rowsOf(inputs.gemm).filter((r) => r['kernel'] === 'reference');
  const yard = gemm.reduce<Obj | undefined>((best, r) => ((num(r, 'gflops') ?? 0) > (num(best, 'gflops') ?? 0) ? r : best), undefined);
  const yardGflops = num(yard, 'gflops');
  const gemmAdapter = str(yard, 'adapter') ?? '-';
  rows.push(judged(14, 'yardstick: plain tiled WGSL GEMM (best of its sizes)', 'reference', gemmAdapter, yardGflops,
    (v) => `${(v / 1000).toFixed(1)} TFLOP/s at ${num(yard, 'size')}³`, () => true, why('gemm', 'reference')));

  const webgpu = rowsOf(inputs.webgpu);
  const byModel = new Map(webgpu.map((r) => [str(r, 'model') ?? '', r]));
  const swapRow = rowsOf(inputs.swap).find((r) => r['backend'] === 'webgpu');
  const rate = (r: Obj | undefined, key: string): number | undefined => {
    const g = num(r, key);
    return g === undefined || yardGflops === undefined ? undefined : g / yardGflops;
  };
  const convRows: [string, Obj | undefined, string][] = [
    ...CONV_HEAVY.map((m): [string, Obj | undefined, string] => [m, byModel.get(m), why('webgpu', m)]),
    ['inswapper (forward)', swapRow, why('swap', 'webgpu')],
  ];
  for (const [name, r, missing] of convRows) {
    const adapter = str(r, 'adapter') ?? gemmAdapter;
    const gap = yardGflops === undefined ? why('gemm', 'reference') : missing;
    rows.push(judged(14, `${name}: rate on summed GPU time / yardstick`, '≥ 50%', adapter, rate(r, 'ours_gflops_gpu'), pct, (v) => v >= 0.5,
      r && num(r, 'ours_gflops_gpu') === undefined && yardGflops !== undefined ? 'no GPU time: run with --profile' : gap));
    rows.push(judged(14, `${name}: rate on wall time / yardstick`, '≥ 35%', adapter, rate(r, 'ours_gflops'), pct, (v) => v >= 0.35, gap));
  }

  // The headline: buffalo_l's work on t1.jpg (bench-buffalo.ts).
  const buffalo = isObj(inputs.buffalo) ? inputs.buffalo : undefined;
  const buffaloAdapter = str(buffalo, 'adapter') ?? '-';
  const precisionRow = (p: string): Obj | undefined => (Array.isArray(buffalo?.['precisions']) ? buffalo['precisions'] as unknown[] : []).filter(isObj).find((r) => r['precision'] === p);
  // The work stands for the six real faces of t1.jpg only: another face count is a different workload.
  const facesNote = (r: Obj | undefined): string => (r?.['faces_ok'] === false ? ` (found ${num(r, 'faces')} faces, not 6)` : '');
  for (const [p, limit] of [['fp32', 10], ['fp16', 6]] as const) {
    const r = precisionRow(p);
    rows.push(judged(14, `buffalo_l work of t1.jpg at det 640, ${p} (get() − scrfd forward + det_10g forward)`, `≤ ${limit} ms`, buffaloAdapter,
      num(r, 'buffalo_work_ms'), (v) => `${ms(v)}${facesNote(r)}`, (v) => v <= limit && r?.['faces_ok'] !== false, r ? 'no buffalo_work_ms' : why('buffalo', p)));
  }
  const fp32Buffalo = precisionRow('fp32');
  rows.push(judged(14, 'buffalo_l work against the sum of its forwards, fp32', '≤ 1.1×', buffaloAdapter, num(fp32Buffalo, 'ratio_to_forwards'),
    (v) => `${times(v)}${facesNote(fp32Buffalo)}`, (v) => v <= 1.1 && fp32Buffalo?.['faces_ok'] !== false, why('buffalo', 'fp32')));

  // Cold start: every model (webgpu.json, shader disk cache off) and the whole pack (buffalo.json).
  const coldRatios = webgpu.flatMap((r) => {
    const ours = num(r, 'cold_ours_ms'), peer = num(r, 'cold_peer_ms');
    return ours !== undefined && peer !== undefined && peer > 0 ? [{ model: str(r, 'model') ?? '?', ratio: ours / peer, adapter: str(r, 'adapter') ?? '-' }] : [];
  });
  const worstCold = coldRatios.reduce<typeof coldRatios[number] | undefined>((w, c) => (!w || c.ratio > w.ratio ? c : w), undefined);
  rows.push(judged(14, `cold start, every model: worst ours / onnxruntime-web (${coldRatios.length} models)`, '≤ 0.5×', worstCold?.adapter ?? '-',
    worstCold?.ratio, (v) => `${times(v)} (${worstCold!.model})`, (v) => v <= 0.5, webgpu.length ? 'no peer cold starts (run without --no-peer)' : why('webgpu')));
  const pack = isObj(buffalo?.['cold']) ? buffalo['cold'] as Obj : undefined;
  rows.push(judged(14, 'cold start, the whole pack: ours / onnxruntime-web', '≤ 0.5×', buffaloAdapter, num(pack, 'ratio'), times, (v) => v <= 0.5,
    buffalo ? 'no cold.ratio in buffalo.json' : why('buffalo')));

  // fp16 against fp32.
  const fp16 = rowsOf(inputs.fp16);
  const fp16Adapter = isObj(inputs.fp16) ? str(inputs.fp16, 'adapter') ?? '-' : '-';
  const fp16Empty = isObj(inputs.fp16) ? `not measured there: ${str(inputs.fp16, 'not_measured') ?? 'no rows'}` : why('fp16');
  const worstFp16 = fp16.reduce<Obj | undefined>((w, r) => ((num(r, 'speedup') ?? Infinity) < (num(w, 'speedup') ?? Infinity) ? r : w), undefined);
  rows.push(judged(14, `fp16: slowest speedup fp32 / fp16 (${fp16.length} models)`, '≥ 1.6×', fp16Adapter, num(worstFp16, 'speedup'),
    (v) => `${times(v)} (${str(worstFp16, 'model')})`, (v) => v >= 1.6, fp16Empty));
  const conv16 = fp16.filter((r) => (CONV_HEAVY as readonly string[]).includes(str(r, 'model') ?? ''));
  const worstConv16 = conv16.reduce<Obj | undefined>((w, r) => ((num(r, 'speedup') ?? Infinity) < (num(w, 'speedup') ?? Infinity) ? r : w), undefined);
  rows.push(judged(14, `fp16: slowest speedup on the conv-heavy models (${conv16.length})`, '≥ 1.6×', fp16Adapter, num(worstConv16, 'speedup'),
    (v) => `${times(v)} (${str(worstConv16, 'model')})`, (v) => v >= 1.6, fp16.length > 0 ? 'no conv-heavy rows (run with --replicas)' : fp16Empty));

  // Warm latency, every model.
  const warm = [...webgpu.flatMap((r) => (num(r, 'ratio') === undefined ? [] : [{ model: str(r, 'model') ?? '?', ratio: num(r, 'ratio')!, adapter: str(r, 'adapter') ?? '-' }])),
    ...(num(swapRow, 'forward_ratio') === undefined ? [] : [{ model: 'inswapper', ratio: num(swapRow, 'forward_ratio')!, adapter: str(swapRow, 'adapter') ?? '-' }])];
  const worstWarm = warm.reduce<typeof warm[number] | undefined>((w, c) => (!w || c.ratio > w.ratio ? c : w), undefined);
  rows.push(judged(14, `every model warm: worst ours / onnxruntime-web (${warm.length} models)`, '≤ 0.5×', worstWarm?.adapter ?? '-', worstWarm?.ratio,
    (v) => `${times(v)} (${worstWarm!.model})`, (v) => v <= 0.5, webgpu.length ? 'no peer latencies (run without --no-peer)' : why('webgpu')));

  // Issue 15: the 1M exact search, GPU against CPU, and collections.
  const index = isObj(inputs.index) ? inputs.index : undefined;
  const indexAdapter = str(index, 'gpu') ?? '-';
  const million = rowsOf(index).find((r) => num(r, 'n') === 1_000_000);
  rows.push(judged(15, 'exact top-10 search, N = 1M × 512, GPU f32 (searchAsync)', '≤ 5 ms', indexAdapter, num(million, 'gpu_ms'), ms, (v) => v <= 5,
    million ? 'no gpu_ms at N = 1M' : why('index', 'N = 1M')));
  rows.push(judged(15, 'the same, CPU path / GPU (informational)', '-', indexAdapter,
    num(million, 'gpu_ms') === undefined || num(million, 'cpu_ms') === undefined ? undefined : num(million, 'cpu_ms')! / num(million, 'gpu_ms')!, times, () => true,
    million ? 'no gpu_ms at N = 1M' : why('index', 'N = 1M')));
  const collection = isObj(inputs.collection) ? inputs.collection : undefined;
  const onGpu = str(collection, 'backend') === 'webgpu';
  rows.push(judged(15, 'collection: --batch 8 --concurrency 2 / one at a time, images/s on WebGPU', '≥ 2×', str(collection, 'adapter') ?? '-',
    onGpu ? num(collection, 'ratio') : undefined, (v) => `${times(v)}${collection?.['identical_lines'] === false ? ' (lines NOT identical)' : ''}`,
    (v) => v >= 2 && collection?.['identical_lines'] !== false, collection && !onGpu ? 'collection.json is not a WebGPU run' : why('collection')));
  return rows;
}

/** The rows as a markdown table. */
export function formatTargets(rows: readonly TargetRow[]): string {
  const head = ['issue', 'what', 'target', 'measured', 'verdict', 'adapter'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.issue} | ${r.what} | ${r.target} | ${r.measured} | ${r.verdict} | ${r.adapter} |`);
  const count = (v: Verdict): number => rows.filter((r) => r.verdict === v).length;
  lines.push('', `${count('met')} met, ${count('not met')} not met, ${count('not measured')} not measured`);
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, flag, file] = process.argv.slice(2);
  if (!dir || (flag !== undefined && (flag !== '--markdown' || !file))) {
    console.error('usage: node --import tsx bench/node/gpu-targets.ts OUTDIR [--markdown FILE]');
    process.exitCode = 2;
  } else {
    const table = formatTargets(targetRows(readTargetInputs(dir)));
    console.log(table);
    if (file) writeFileSync(file, `${table}\n`);
  }
}

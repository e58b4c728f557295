/**
 * The measurement itself, free of any DOM: for each (model, input size, backend) load the model (cold start =
 * load + first run), warm up, time N runs, and cross-check outputs against a reference backend. Every requested
 * combination yields exactly one row, with status 'error' and the message when it could not run.
 */
import { parseModel } from '../../src/index.js';
import { mean, median, percentile } from '../../web/lib/stats.js';
import type { AdapterReport } from '../../web/lib/gpu-info.js';
import { PEER_OF, type BackendId, type ModelInput, type Runner } from './runners.js';

export interface BenchModelSource {
  /** Shown in the table; the file name for served/opened files. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface BenchSettings {
  readonly warmup: number;
  readonly runs: number;
  /** Spatial sizes for models whose input height/width are symbolic (detectors); static models ignore them. */
  readonly sizes: readonly number[];
  readonly backends: readonly BackendId[];
  /** Gives up on one (model, size, backend) after this long (0 = never), so one stuck engine cannot stall the run. */
  readonly rowTimeoutMs?: number;
}

export interface BenchRow {
  readonly model: string;
  readonly input: string;
  readonly dims: readonly number[];
  readonly backend: BackendId;
  readonly status: 'ok' | 'error';
  readonly error?: string;
  /** Session creation (parse, optimise, compile) in ms. */
  readonly load_ms?: number;
  readonly first_run_ms?: number;
  /** load + first run: what a user waits for before the first answer. */
  readonly cold_ms?: number;
  readonly median_ms?: number;
  readonly p90_ms?: number;
  readonly mean_ms?: number;
  readonly runs_ms?: readonly number[];
  /** The onnxruntime-web backend this one is compared with, and median / peer median (lower is better). */
  readonly peer?: BackendId;
  readonly ratio?: number | null;
  /** Largest |difference| of any output element from the reference backend's outputs (same input). */
  readonly max_abs_diff?: number | null;
  readonly reference?: BackendId;
}

export interface BenchReport {
  readonly tool: 'insightgpu bench/web';
  readonly date: string;
  readonly userAgent: string;
  readonly adapter: AdapterReport;
  readonly settings: BenchSettings;
  readonly rows: BenchRow[];
}

/** One concrete input of one model: a named float tensor shape with every dim known. */
export interface InputCase {
  readonly input: string;
  readonly dims: readonly number[];
}

/** The input shapes a model is benchmarked at: symbolic batch → 1, symbolic H/W → each requested size. */
export function inputCases(bytes: Uint8Array, sizes: readonly number[]): InputCase[] {
  const inputs = parseModel(bytes).graph.inputs;
  const first = inputs[0];
  if (!first || !first.shape) throw new BenchInputError(`the model declares ${inputs.length} inputs, the first without a shape`);
  if (inputs.length !== 1) throw new BenchInputError(`the benchmark feeds one input; the model has ${inputs.length}`);
  if (first.type !== undefined && first.type !== 'float32') throw new BenchInputError(`input '${first.name}' is ${first.type}; the benchmark feeds float32`);
  const shape = first.shape;
  const spatialDynamic = shape.length === 4 && (typeof shape[2] !== 'number' || typeof shape[3] !== 'number');
  const fill = (size: number): number[] => shape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return 1;
    if (spatialDynamic && i >= 2) return size;
    throw new BenchInputError(`input '${first.name}' has a symbolic dim ${i} (${JSON.stringify(shape)}) the benchmark cannot choose`);
  });
  const wanted = spatialDynamic ? sizes : [0];
  return wanted.map((size) => ({ input: first.name, dims: fill(size) }));
}

export class BenchInputError extends Error {
  override readonly name = 'BenchInputError';
}

/** Deterministic uniform [-1, 1) values (mulberry32), so every backend and every page load sees the same input. */
export function seededInput(c: InputCase, seed = 1234): ModelInput {
  const n = c.dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    data[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return { name: c.input, dims: c.dims, data };
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number | null {
  if (a.length !== b.length) return null;
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x.length !== y.length) return null;
    for (let i = 0; i < x.length; i++) {
      const d = Math.abs(x[i]! - y[i]!);
      if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    }
  }
  return worst;
}

export class BenchTimeoutError extends Error {
  override readonly name = 'BenchTimeoutError';
}

/** The work itself cannot be cancelled (an engine mid-dispatch); the row is reported as timed out and the run moves on. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  if (!(ms > 0)) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeoutError(`gave up after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

const now = (): number => performance.now();
const round = (ms: number): number => Math.round(ms * 100) / 100;
const errorText = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export interface BenchProgress {
  (message: string, row?: BenchRow): void;
}

async function measureOne(runner: Runner, bytes: Uint8Array, input: ModelInput, settings: BenchSettings)
  : Promise<{ row: Omit<BenchRow, 'model' | 'input' | 'dims' | 'backend'>; outputs: Float32Array[] }> {
  const t0 = now();
  const model = await runner.load(bytes);
  try {
    const t1 = now();
    const outputs = await model.run(input);
    const t2 = now();
    await model.settle?.();
    for (let i = 0; i < settings.warmup; i++) await model.run(input);
    const times: number[] = [];
    for (let i = 0; i < settings.runs; i++) {
      const s = now();
      await model.run(input);
      times.push(now() - s);
    }
    return {
      outputs,
      row: {
        status: 'ok', load_ms: round(t1 - t0), first_run_ms: round(t2 - t1), cold_ms: round(t2 - t0),
        median_ms: round(median(times)), p90_ms: round(percentile(times, 90)), mean_ms: round(mean(times)),
        runs_ms: times.map(round),
      },
    };
  } finally {
    await model.release();
  }
}

/** Runs every (model, input case, backend); rows come out in that order, one per combination. */
export async function runBenchmark(
  models: readonly BenchModelSource[], settings: BenchSettings, makeRunner: (id: BackendId) => Runner,
  adapter: AdapterReport, progress: BenchProgress = () => {},
): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  for (const model of models) {
    let cases: InputCase[];
    try {
      cases = inputCases(model.bytes, settings.sizes);
    } catch (e) {
      for (const backend of settings.backends) {
        const row: BenchRow = { model: model.name, input: '?', dims: [], backend, status: 'error', error: errorText(e) };
        rows.push(row);
        progress(`${model.name}: ${row.error}`, row);
      }
      continue;
    }
    for (const c of cases) {
      const input = seededInput(c);
      const results = new Map<BackendId, { row: BenchRow; outputs?: Float32Array[] }>();
      for (const backend of settings.backends) {
        progress(`${model.name} [${c.dims.join('×')}] on ${backend}…`);
        let entry: { row: BenchRow; outputs?: Float32Array[] };
        try {
          const { row, outputs } = await withTimeout(measureOne(makeRunner(backend), model.bytes, input, settings), settings.rowTimeoutMs ?? 0);
          entry = { row: { model: model.name, input: c.input, dims: c.dims, backend, ...row }, outputs };
        } catch (e) {
          entry = { row: { model: model.name, input: c.input, dims: c.dims, backend, status: 'error', error: errorText(e) } };
        }
        results.set(backend, entry);
      }
      // Cross-check against onnxruntime-web's wasm backend when it ran (the most trusted), else the first that ran.
      const reference = results.get('ort-wasm')?.outputs ? 'ort-wasm' : settings.backends.find((b) => results.get(b)?.outputs);
      for (const backend of settings.backends) {
        let { row } = results.get(backend)!;
        const outputs = results.get(backend)!.outputs;
        const peer = PEER_OF[backend];
        if (row.status === 'ok') {
          const extra: { peer?: BackendId; ratio?: number | null; max_abs_diff?: number | null; reference?: BackendId } = {};
          if (peer && settings.backends.includes(peer)) {
            const peerRow = results.get(peer)!.row;
            extra.peer = peer;
            extra.ratio = peerRow.status === 'ok' ? Math.round((row.median_ms! / peerRow.median_ms!) * 1000) / 1000 : null;
          }
          if (reference && outputs) {
            extra.reference = reference;
            extra.max_abs_diff = maxAbsDiff(outputs, results.get(reference)!.outputs!);
          }
          row = { ...row, ...extra };
        }
        rows.push(row);
        progress(`${model.name} [${c.dims.join('×')}] on ${backend}: ${row.status === 'ok' ? `${row.median_ms} ms` : row.error}`, row);
      }
    }
  }
  return {
    tool: 'insightgpu bench/web', date: new Date().toISOString(), userAgent: navigator.userAgent, adapter, settings, rows,
  };
}

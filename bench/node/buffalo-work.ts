/**
 * The "buffalo_l work" benchmark's command line, arithmetic and targets (issue 14's headline row), kept free of
 * models and devices so that a test can check them in milliseconds. The runner is bench-buffalo.ts.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendFlag, BenchUsageError, detSizeFlag, integerFlag, parseFlags, type BenchBackend } from './bench-args.js';
import { testBedPath } from './bench-util.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

/** The detector the pipeline runs (real weights: it finds t1.jpg's 6 faces) and the one its forward is swapped for. */
export const PIPELINE_DETECTOR = 'scrfd_2.5g_bnkps.onnx';
export const SWAPPED_DETECTOR = 'det_10g.onnx';
/** The four forged buffalo_l heads, in the replica folder. */
export const HEAD_FILES = ['w600k_r50.onnx', '1k3d68.onnx', '2d106det.onnx', 'genderage.onnx'] as const;
/** The faces InsightFace finds on t1.jpg with scrfd_2.5g at det_thresh 0.5 (the goldens). */
export const EXPECTED_FACES = 6;

/** Issue 14's targets for this row, on a hardware GPU. */
export const TARGETS = { fp32_ms: 10, fp16_ms: 6, ratio_to_forwards: 1.1, cold_ratio_to_peer: 0.5 } as const;

export type BuffaloPrecision = 'fp32' | 'fp16';

export interface BuffaloOptions {
  readonly backend: BenchBackend;
  /** Folder of the forged replicas (det_10g and the four heads), forged there when missing. */
  readonly replicasDir: string;
  /** Folder holding scrfd_2.5g_bnkps.onnx. */
  readonly modelsDir: string;
  readonly image: string;
  /** [W, H]. */
  readonly detSize: readonly [number, number];
  /** As asked; undefined: both where the adapter has shader-f16, else fp32 (see choosePrecisions). */
  readonly precision?: 'fp32' | 'fp16' | 'both';
  readonly runs: number;
  readonly warmup: number;
  /** Measure onnxruntime-web's cold start of the same pack (the peer). */
  readonly peer: boolean;
  /** Measure the cold starts at all (each in a fresh child process). */
  readonly cold: boolean;
  readonly json?: string;
  readonly adapterName?: string;
}

export const BUFFALO_USAGE = `usage: npm run bench -- --buffalo [--backend cpu|webgpu] [--replicas DIR] [--models DIR] [--image FILE]
                        [--det-size 640|WxH] [--precision fp32|fp16|both] [--runs N] [--warmup N] [--no-peer] [--no-cold]
                        [--json FILE] [--adapter NAME]

  FaceAnalysis.get() on t1.jpg over scrfd_2.5g_bnkps (real: finds the 6 faces) and the four forged heads, with the
  detector's forward swapped for det_10g's measured alone (issue 14's "buffalo_l work"; targets on a GPU: ≤ 10 ms
  fp32, ≤ 6 ms fp16, ≤ 1.1× the sum of its forwards), and the whole pack's cold start against onnxruntime-web's.

  --backend cpu|webgpu      default webgpu (a hardware adapter, else SwiftShader where installed)
  --replicas DIR            the forged det_10g, w600k_r50, 1k3d68, 2d106det, genderage (forged there when missing;
                            default .cache/replicas-buffalo)
  --models DIR              where scrfd_2.5g_bnkps.onnx is (also --models-dir; default $INSIGHTGPU_MODELS, else the test bed's)
  --image FILE              the photo (default t1.jpg in the images/ folder beside the models folder)
  --det-size N|WxH          detector input, sides multiples of 32 (default 640; smaller for smoke runs)
  --precision P             fp32, fp16 or both (default both where the adapter has shader-f16, else fp32)
  --runs N                  timed interleaved rounds (default 10)
  --warmup N                untimed rounds first, after the specialised kernels took over (default 2)
  --no-peer                 no onnxruntime-web cold start
  --no-cold                 no cold starts at all (warm numbers only)
  --adapter NAME            a WebGPU adapter whose name contains NAME
  --json FILE               also write the report as JSON (rewritten after each precision)
  -h, --help                this text`;

/** The options, or undefined when --help asked for the usage text. Throws BenchUsageError for a bad command line. */
export function parseBuffaloArgs(argv: readonly string[]): BuffaloOptions | undefined {
  const values = parseFlags(argv, {
    // bench.ts's switch to this benchmark; it means nothing more here.
    buffalo: { type: 'boolean' },
    backend: { type: 'string', default: 'webgpu' },
    replicas: { type: 'string' },
    models: { type: 'string' },
    'models-dir': { type: 'string' },
    image: { type: 'string' },
    'det-size': { type: 'string', default: '640' },
    precision: { type: 'string' },
    runs: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'no-peer': { type: 'boolean', default: false },
    'no-cold': { type: 'boolean', default: false },
    json: { type: 'string' },
    adapter: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return undefined;
  const backend = backendFlag(values.backend);
  const precision = values.precision;
  if (precision !== undefined && precision !== 'fp32' && precision !== 'fp16' && precision !== 'both') {
    throw new BenchUsageError(`--precision must be fp32, fp16 or both, not '${precision}'`);
  }
  if (precision === 'fp16' && backend === 'cpu') throw new BenchUsageError('--precision fp16 needs --backend webgpu (the cpu backend has no fp16)');
  if (values.models !== undefined && values['models-dir'] !== undefined) throw new BenchUsageError('--models and --models-dir name the same folder: pass one');
  const modelsDir = values.models ?? values['models-dir'] ?? process.env['INSIGHTGPU_MODELS'] ?? testBedPath('models');
  const image = values.image
    ?? [join(dirname(modelsDir), 'images', 't1.jpg'), join(testBedPath('images'), 't1.jpg')].find((p) => existsSync(p))
    ?? join(testBedPath('images'), 't1.jpg');
  return {
    backend,
    replicasDir: resolve(values.replicas ?? join(REPO, '.cache', 'replicas-buffalo')),
    modelsDir: resolve(modelsDir),
    image: resolve(image),
    detSize: detSizeFlag(values['det-size']),
    precision,
    runs: integerFlag('runs', values.runs, 1),
    warmup: integerFlag('warmup', values.warmup, 0),
    peer: !values['no-peer'],
    cold: !values['no-cold'],
    json: values.json,
    adapterName: values.adapter,
  };
}

/**
 * Which precisions run, and a line for each asked-for one that does not: fp16 needs the webgpu backend and an
 * adapter with shader-f16. The default ('both' unless asked otherwise) measures fp16 only where it can.
 */
export function choosePrecisions(asked: BuffaloOptions['precision'], backend: BenchBackend, hasShaderF16: boolean): { run: BuffaloPrecision[]; notMeasured: string[] } {
  const wanted: BuffaloPrecision[] = asked === 'fp32' ? ['fp32'] : asked === 'fp16' ? ['fp16'] : ['fp32', 'fp16'];
  const why = backend === 'cpu' ? 'cpu backend' : hasShaderF16 ? undefined : 'no shader-f16';
  const run = wanted.filter((p) => p === 'fp32' || why === undefined);
  const notMeasured = wanted.includes('fp16') && why !== undefined ? [`fp16: not measured (${why})`] : [];
  return { run, notMeasured };
}

/** Warm medians of one precision, in milliseconds. */
export interface WarmMedians {
  /** FaceAnalysis.get() on the photo, the whole call. */
  readonly get: number;
  /** scrfd_2.5g's forward alone at the det size (the detector get() runs). */
  readonly scrfdForward: number;
  /** det_10g's forward alone at the det size (the detector it stands in for). */
  readonly det10gForward: number;
  /** Each head's forward alone on what get() gives it, summed over its runs in one call. */
  readonly headForwards: readonly number[];
}

export interface BuffaloWork {
  /** get − scrfd forward + det_10g forward. */
  readonly buffaloWorkMs: number;
  /** det_10g forward + every head's forward. */
  readonly forwardsSumMs: number;
  /** buffaloWorkMs / forwardsSumMs (target ≤ 1.1×). */
  readonly ratio: number;
  /** The same without the swap: get / (scrfd forward + every head's forward). */
  readonly pipelineRatio: number;
}

export const BUFFALO_WORK_FORMULA = 'buffalo_l work = get() − scrfd_2.5g forward + det_10g forward';
export const FORWARDS_SUM_FORMULA = 'sum of its forwards = det_10g forward + Σ each head\'s forward on the crops get() gives it';

export function buffaloWork(m: WarmMedians): BuffaloWork {
  for (const [name, v] of [['get', m.get], ['scrfdForward', m.scrfdForward], ['det10gForward', m.det10gForward], ...m.headForwards.map((h, i) => [`headForwards[${i}]`, h] as const)] as const) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a finite number ≥ 0 ms, not ${v}`);
  }
  const heads = m.headForwards.reduce((a, b) => a + b, 0);
  const buffaloWorkMs = m.get - m.scrfdForward + m.det10gForward;
  const forwardsSumMs = m.det10gForward + heads;
  return { buffaloWorkMs, forwardsSumMs, ratio: buffaloWorkMs / forwardsSumMs, pipelineRatio: m.get / (m.scrfdForward + heads) };
}

/**
 * A target's verdict: 'met' / 'not met' where the number was measured where the target applies (a hardware GPU),
 * otherwise 'n/a (…)' naming where it was measured; the value is printed either way.
 */
export function verdict(value: number | undefined, target: number, where: 'gpu' | 'software adapter' | 'cpu backend'): string {
  if (value === undefined || !Number.isFinite(value)) return 'not measured';
  if (where !== 'gpu') return `n/a (${where})`;
  return value <= target ? 'met' : 'not met';
}

/**
 * The batches a head runs as in get() for `faces` crops, mirroring runHead / runHeadsTogether: a dynamic-batch head
 * in chunks of at most maxBatch, each at `bucket(chunk)` (head-model's batchSize: the next power of two on WebGPU,
 * the count itself on the CPU); a fixed-batch-1 head once per face.
 */
export function headBatches(dynamicBatch: boolean, faces: number, bucket: (count: number) => number, maxBatch: number): number[] {
  if (!dynamicBatch) return new Array<number>(faces).fill(1);
  const batches: number[] = [];
  for (let start = 0; start < faces; start += maxBatch) batches.push(bucket(Math.min(maxBatch, faces - start)));
  return batches;
}

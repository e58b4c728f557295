import type { ResourceLimits, Worker } from 'node:worker_threads';
import type { DrawOptions } from '../draw.js';
import { PipelineOptionError } from '../errors.js';
import { describeValue, optionsObject } from '../call-options.js';
import { releaseDecodeSeat, reserveDecodeSeat } from '../decode-node.js';
import { DECODE_GATE_SEATS } from '../decode-gate.js';
import { DRAW_SHAPE } from '../draw.js';
import type { Face } from '../face.js';
import { PREPARE_SHAPE, type PrepareOptions } from '../face-analysis-options.js';
import type { BgrImage } from '../image.js';
import type { MaxNumMetric } from '../max-num.js';
import type { Size } from '../preprocess/letterbox.js';
import { rebuildError, WorkerError, type WireError } from '../worker/wire-errors.js';
import { facesFromWire } from '../worker/wire-faces.js';
import type { PoolReply, PoolRequest, PoolWorkerInfo, PoolWorkerSetup } from './protocol.js';
import { poolWorkerScript, startThread } from './start-thread.js';

/** FaceAnalysisPool.create's options. */
export interface FaceAnalysisPoolOptions {
  /** Worker threads, each with its own FaceAnalysis (at least 1; at most 255 across the pools alive in one thread). */
  readonly size: number;
  /**
   * A folder, an installed pack name or file paths: each worker reads the files itself. Or the bytes by name: each
   * worker gets its own copy (the buffers given here are left as they are).
   */
  readonly models: PoolWorkerSetup['models'];
  readonly allowedModules?: readonly string[];
  /** As FaceAnalysis.prepare, in every worker. */
  readonly prepare?: PrepareOptions;
  /** Each worker thread's heap limits (Node's ResourceLimits); a worker that exceeds them ends the pool with WorkerError. */
  readonly resourceLimits?: ResourceLimits;
  /** The worker script; default the pool's own (pool-worker). A script must answer as pool-worker does (PoolReply). */
  readonly workerScript?: URL;
}

/** `analyse`'s options: InsightFace's get(img, max_num) and an optional drawing of the faces. */
export interface PoolAnalyseOptions {
  readonly maxNum?: number;
  readonly metric?: MaxNumMetric;
  /** Also return the image with its faces drawn (FaceAnalysis.drawOn), drawn in the worker. */
  readonly draw?: DrawOptions;
}

/**
 * One image's outcome: its size and faces (and the drawn copy when asked for), or the image's own failure (a decode
 * error, or an ImageError of its analysis) with the error's class name and message as the worker saw them.
 */
export type PoolOutcome =
  | { readonly ok: true; readonly width: number; readonly height: number; readonly faces: Face[]; readonly annotated?: BgrImage }
  | { readonly ok: false; readonly error: Error };

type Job = { readonly request: Omit<PoolRequest, 'id'>; readonly resolve: (o: PoolOutcome) => void; readonly reject: (e: Error) => void };

/**
 * N FaceAnalysis instances on the CPU backend, one per Node worker thread, for running a collection of image files
 * on every core: each `analyse` goes to an idle worker (or waits for one), which decodes and analyses the file.
 * The results of one image do not depend on the worker (the CPU backend is deterministic), so any order of
 * completion gives the same faces. A worker that crashes, runs out of memory or exits ends the pool: every pending
 * and later call rejects with WorkerError. Node only; WebGPU stays with FaceAnalysis (one device batches better
 * than N devices sharing an adapter).
 */
export class FaceAnalysisPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, { id: number; job: Job }>();
  /** The workers still building their FaceAnalysis, with what settles their start. */
  private readonly starting = new Map<Worker, { resolve: (info: PoolWorkerInfo) => void; reject: (e: Error) => void }>();
  private readonly started: Promise<PoolWorkerInfo[]>;
  private nextId = 1;
  private closed: Error | undefined;
  private releasing = false;
  private built: PoolWorkerInfo = { models: [], detSize: [] };

  private constructor(private readonly workers: readonly Worker[]) {
    this.started = Promise.all(workers.map((worker) => new Promise<PoolWorkerInfo>((resolve, reject) => this.starting.set(worker, { resolve, reject }))));
    // Listened to from the first moment, so a worker that dies at any time, while others still start included, is seen.
    workers.forEach((worker, k) => {
      const which = `worker ${k + 1} of ${workers.length}`;
      worker.on('message', (reply: PoolReply) => this.receive(worker, reply));
      worker.on('error', (error: Error) => this.fail(new WorkerError(`${which} failed: ${error.message}`)));
      worker.on('exit', (code) => {
        if (!this.releasing) this.fail(new WorkerError(`${which} exited (code ${code}) before the pool was released`));
      });
    });
  }

  /** Starts the workers and resolves once every one has built and prepared its FaceAnalysis. */
  static async create(options: FaceAnalysisPoolOptions): Promise<FaceAnalysisPool> {
    if (options === null || typeof options !== 'object') throw new PipelineOptionError('options', `FaceAnalysisPool.create takes { size, models, … }, got ${describeValue(options)}`);
    optionsObject(options, 'FaceAnalysisPool.create', {
      size: 'any', models: 'any', allowedModules: 'array', prepare: 'object', resourceLimits: 'object', workerScript: 'object',
    });
    if (options.prepare !== undefined) optionsObject(options.prepare, 'FaceAnalysisPool.create', PREPARE_SHAPE, 'prepare.');
    if (!Number.isInteger(options.size) || options.size < 1) throw new PipelineOptionError('size', `${options.size} is not a whole number of workers ≥ 1`);
    const setup: PoolWorkerSetup = { models: options.models, backend: 'cpu', allowedModules: options.allowedModules, prepare: options.prepare ?? {} };
    const script = options.workerScript ?? poolWorkerScript();
    const workers: Worker[] = [];
    try {
      for (let k = 0; k < options.size; k++) workers.push(startWorker(script, setup, options.resourceLimits, `insightgpu pool ${k + 1}`));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    const pool = new FaceAnalysisPool(workers);
    try {
      pool.built = (await pool.started)[0]!;
    } catch (error) {
      await pool.release();
      throw error;
    }
    return pool;
  }

  /** What the first worker built: its models as [taskname, file] and its detection sizes. */
  get info(): PoolWorkerInfo {
    return this.built;
  }

  /** The number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** The sizes detection runs at (as FaceAnalysis.detSize). */
  get detSize(): readonly Size[] {
    return this.built.detSize;
  }

  /**
   * Decodes and analyses one image file in the next idle worker. Resolves with its faces or its own failure; rejects
   * with WorkerError when the pool has failed, or with the worker's error rebuilt when the analysis failed for
   * another reason than the image (a model or backend error).
   */
  analyse(file: string, analyseOptions?: PoolAnalyseOptions): Promise<PoolOutcome> {
    if (this.closed) return Promise.reject(this.closed);
    let options: PoolAnalyseOptions;
    try {
      options = optionsObject(analyseOptions, 'analyse', { maxNum: 'number', metric: 'string', draw: 'object' });
      if (options.draw !== undefined) optionsObject(options.draw, 'analyse', DRAW_SHAPE, 'draw.');
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise<PoolOutcome>((resolve, reject) => {
      this.queue.push({ request: { file, maxNum: options.maxNum ?? 0, metric: options.metric ?? 'default', draw: options.draw }, resolve, reject });
      this.dispatch();
    });
  }

  /** Ends the workers; pending calls reject with WorkerError. */
  async release(): Promise<void> {
    this.releasing = true;
    this.fail(new WorkerError('the pool was released'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.shift()!;
      const job = this.queue.shift()!;
      const id = this.nextId++;
      this.running.set(worker, { id, job });
      worker.postMessage({ ...job.request, id } satisfies PoolRequest);
    }
  }

  private receive(worker: Worker, reply: PoolReply): void {
    if (reply.kind === 'ready' || reply.kind === 'startFailed') {
      const start = this.starting.get(worker);
      this.starting.delete(worker);
      if (reply.kind === 'startFailed') {
        // The first start failure is the pool's error: the others are told it too, and so is this worker's start
        // (already taken out of `starting`, so `fail` alone would leave a one-worker pool's create pending forever).
        this.fail(rebuildError(reply.error));
        start?.reject(this.closed!);
        return;
      }
      this.idle.push(worker);
      start?.resolve(reply.info);
      this.dispatch();
      return;
    }
    const current = this.running.get(worker);
    if (!current || reply.id !== current.id) return;
    this.running.delete(worker);
    this.idle.push(worker);
    const { job } = current;
    if (reply.kind === 'faces') {
      job.resolve({ ok: true, width: reply.width, height: reply.height, faces: facesFromWire(reply.faces), annotated: reply.annotated });
    } else if (reply.kind === 'image') {
      job.resolve({ ok: false, error: imageFailure(reply.error) });
    } else {
      job.reject(rebuildError(reply.error));
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    this.closed ??= error;
    const jobs = [...[...this.running.values()].map((r) => r.job), ...this.queue];
    this.running.clear();
    this.queue.length = 0;
    this.idle.length = 0;
    for (const job of jobs) job.reject(this.closed);
    for (const start of this.starting.values()) start.reject(this.closed);
    this.starting.clear();
    if (!this.releasing) for (const w of this.workers) void w.terminate();
  }
}

/**
 * Starts one worker with its own seat at this thread's decode gate, given back when the worker exits (however it
 * ends), so a failed file's retry in any thread waits for the decodes in all of them.
 */
function startWorker(script: URL, setup: PoolWorkerSetup, resourceLimits: ResourceLimits | undefined, name: string): Worker {
  const decodeSeat = reserveDecodeSeat();
  if (decodeSeat === undefined) {
    throw new PipelineOptionError('size', `this process already runs ${DECODE_GATE_SEATS - 1} pool workers, the most that share one decode gate; release a pool first`);
  }
  let worker: Worker;
  try {
    worker = startThread(script, { workerData: { ...setup, decodeSeat } satisfies PoolWorkerSetup, resourceLimits, name });
  } catch (error) {
    releaseDecodeSeat(decodeSeat);
    throw error;
  }
  worker.once('exit', () => releaseDecodeSeat(decodeSeat));
  return worker;
}

/** An image's failure with the worker's class name and message (an engine class is rebuilt as itself). */
function imageFailure(wire: WireError): Error {
  const rebuilt = rebuildError(wire);
  if (rebuilt.name === wire.name) return rebuilt;
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}

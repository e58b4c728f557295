import { BackendError, GraphError, InputError, UnsupportedOpError } from '../core/errors.js';
import { findOpModule } from '../ops/registry.js';
import { parseModel } from '../parser/decode-model.js';
import { nodeLabel, type DataType, type Dim, type Model, type TensorData, type TypedArray, type ValueInfo } from '../core/ir.js';
import { specializeGraph, type StaticGraph } from '../graph/specialize.js';
import type { ValueType } from '../ops/kernel/op-module.js';
import type { Backend, CompileTimes, ExecutionPlan, PlanFeed, PrecompileTimes, StepTiming } from '../backends/plan.js';
import { cpuThreadsProblem, WEBGPU_OPTIONS_SHAPE, type BackendName, type CpuThreads, type WebGpuOptions } from '../backends/options.js';
import { checkOptionShape, describeValue, type OptionShape } from '../core/option-shape.js';
import { optimizeGraph } from '../graph/optimize.js';
import { widenFloat16 } from '../graph/widen-float16.js';
import { GpuTensor, Tensor } from '../core/tensor.js';
import { createBackend } from './create-backend.js';
import { checkFeeds, checkShape, inputList, type FeedsType } from './feed-check.js';

/** How InferenceSession.create picks its backend and what it records. */
export interface SessionOptions {
  /** 'auto' (default): WebGPU on a real GPU adapter when one exists, else the CPU backend. */
  readonly backend?: BackendName;
  /** Adapter, device and kernel choices of the webgpu backend. */
  readonly webgpu?: WebGpuOptions;
  /** Record per-node timings of each run (see `lastProfile`). */
  readonly profiling?: boolean;
  /** Threads the cpu backend splits its convolution GEMMs over (see CpuThreads); 1 by default. */
  readonly cpuThreads?: CpuThreads;
}

/** SessionOptions' names and value kinds. @internal */
export const SESSION_OPTIONS_SHAPE: OptionShape<SessionOptions> = { backend: 'string', webgpu: 'object', profiling: 'boolean', cpuThreads: ['number', 'string'] };

/**
 * Refuses session options that hold a name a session does not take or a value of the wrong kind (e.g. `webgpu:
 * { precison: 'fp16' }`, which would otherwise run in fp32 as if nothing were asked), as an InputError. @internal
 */
export function checkSessionOptions(options: SessionOptions, call: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InputError(`session options must be an object, got ${describeValue(options)}`);
  const fail = (option: string, why: string): Error => new InputError(`session option ${option}: ${why}`);
  checkOptionShape(options, SESSION_OPTIONS_SHAPE, call, fail);
  if (options.webgpu !== undefined) checkOptionShape(options.webgpu, WEBGPU_OPTIONS_SHAPE, call, fail, 'webgpu.');
  const threads = options.cpuThreads === undefined ? undefined : cpuThreadsProblem(options.cpuThreads);
  if (threads) throw fail('cpuThreads', threads);
}

/**
 * Name, element type and declared shape of a model input or output (symbolic dims are strings, unknown ones ''). A
 * value whose file declares no shape at all (unknown rank) has `rank: undefined` and, as in onnxruntime, `shape: []`;
 * a scalar has `rank: 0`.
 */
export interface ValueMetadata {
  /** The value's name in the graph. */
  readonly name: string;
  /** Always true (onnxruntime-web's field; this engine has tensors only). */
  readonly isTensor: true;
  /** Element type, when the file declares it. */
  readonly type: DataType | undefined;
  /** Declared dims: numbers, symbolic names, '' where unknown; [] both for a scalar and for an unknown rank (see `rank`). */
  readonly shape: readonly (number | string)[];
  /** The number of dims the file declares: 0 for a scalar, undefined when it declares no shape (any rank may come). */
  readonly rank: number | undefined;
}

export type { FeedsType } from './feed-check.js';
/** A run's outputs by name, as CPU tensors. */
export type ReturnType = Record<string, Tensor>;

/** One run of `InferenceSession.runTogether`: `fetches` defaults to every output. */
export interface TogetherRun {
  readonly session: InferenceSession;
  readonly feeds: FeedsType;
  readonly fetches?: readonly string[];
}

const MAX_CACHED_PLANS = 8;

/** A value's kind for an error message, never its contents (a session or feeds would print their weights). */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'Object';
}

/**
 * Sets `record[name]` as an own, enumerable property whatever the name: plain assignment of an output named
 * '__proto__' would set the record's prototype instead, and the output would be missing from the result.
 */
function setOwn<T>(record: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(record, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Whether two typed arrays share any byte. */
function overlaps(a: TypedArray, b: TypedArray): boolean {
  return a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * A run's outputs as tensors the caller owns: an output whose data is a feed's (a graph output that is an input, or
 * an Identity/Reshape of one) or another output's (two outputs of one value) is copied, so writing into one output,
 * or refilling the feed's array for the next run, changes nothing else.
 */
function ownOutputs(results: ReadonlyMap<string, TensorData>, wanted: readonly string[], feeds: ReadonlyMap<string, PlanFeed>): ReturnType {
  const out: ReturnType = {};
  const taken: TypedArray[] = [];
  for (const f of feeds.values()) if (!(f instanceof GpuTensor)) taken.push(f.data);
  for (const name of wanted) {
    const t = results.get(name)!;
    const data = taken.some((d) => overlaps(d, t.data)) ? t.data.slice() : t.data;
    setOwn(out, name, data === t.data ? Tensor.from(t) : new Tensor(t.type, data, t.dims));
    taken.push(data);
  }
  return out;
}

/**
 * Refuses a graph output whose file declares one element type while the graph computes another (a float32 value
 * declared float16, an int64 Shape declared float), naming the output, both types and the node producing it, before
 * any run hands back a tensor of another type than the metadata says; onnxruntime refuses such a file at load. The
 * float16 widening has already put a Cast to float16 before each output declared float16, so those match.
 */
function checkOutputTypes(model: Model, graph: StaticGraph): void {
  for (const output of model.graph.outputs) {
    const computed = graph.types.get(output.name)?.type;
    if (output.type === undefined || computed === undefined || computed === output.type) continue;
    const producer = model.graph.nodes.find((n) => n.outputs.includes(output.name));
    const why = `graph output '${output.name}' is declared ${output.type}, but the graph computes it as ${computed}`;
    throw producer ? new GraphError(why, nodeLabel(producer), producer.opType) : new GraphError(why);
  }
}

/**
 * The inputs a feed may override (Graph.overridableInputs): each as its feed is checked, with its declared shape and
 * its initializer's type (float32 once a float16 file is widened); one per name, never one that is a real input.
 */
function overridableInputs(model: Model): ValueInfo[] {
  const g = model.graph;
  const found: ValueInfo[] = [];
  for (const v of g.overridableInputs ?? []) {
    const init = g.initializers.get(v.name);
    if (!init || found.some((w) => w.name === v.name) || g.inputs.some((w) => w.name === v.name)) continue;
    found.push({ name: v.name, type: init.type, shape: v.shape });
  }
  return found;
}

/**
 * The variant of `model` a run that feeds these overridable inputs compiles: they become real inputs (after the
 * model's own) and lose their initializers, so no graph pass folds their defaults in; every overridable input not
 * fed stays a constant, as in the model itself.
 */
function withFedInputs(model: Model, fed: readonly ValueInfo[]): Model {
  const g = model.graph;
  const initializers = new Map([...g.initializers].filter(([name]) => !fed.some((v) => v.name === name)));
  return { ...model, graph: { ...g, inputs: [...g.inputs, ...fed], initializers } };
}

/** Loads an ONNX model and runs it; shaped like onnxruntime-web's InferenceSession. */
export class InferenceSession {
  /** The graph's real inputs (initializers excluded), in declaration order. */
  readonly inputNames: readonly string[];
  /** The graph's outputs, in declaration order. */
  readonly outputNames: readonly string[];
  /** Name, type and declared shape of each input. */
  readonly inputMetadata: readonly ValueMetadata[];
  /** Name, type and declared shape of each output. */
  readonly outputMetadata: readonly ValueMetadata[];
  private readonly plans = new Map<string, Promise<ExecutionPlan>>();
  private lastPlan: ExecutionPlan | undefined;
  private readonly compileLog: CompileTimes[] = [];
  private readonly precompileLog: PrecompileTimes[] = [];
  private readonly precompiling = new Set<Promise<void>>();
  private released = false;
  /** Runs under way per plan (prepareRun to donePlan). */
  private readonly plansInUse = new Map<ExecutionPlan, number>();
  /** Plans evicted from `plans` while runs held them, disposed when the last ends. */
  private readonly evictedPlans = new Set<ExecutionPlan>();
  /** Runs from prepareRun to donePlan (or prepareRun's failure), which release waits for. */
  private runsUnderWay = 0;
  /** Resolves release's wait once runsUnderWay is back to 0. */
  private onIdle: (() => void) | undefined;
  private releasing: Promise<void> | undefined;
  /**
   * Inputs that also have an initializer (IR 4 and later), their default. Runs that feed none of them use the plan
   * of `model`, where the defaults are constants like any weight (folded, fused, uploaded once); a run that feeds
   * some compiles, at its first such run, the variant where those are real inputs (withFedInputs), cached in `plans`
   * under a key that holds their names.
   */
  private readonly overridable: readonly ValueInfo[];

  /**
   * @param model - The parsed model, after the graph passes.
   * @param backend - The backend its plans run on.
   * @param options - The options it was created with.
   */
  private constructor(readonly model: Model, readonly backend: Backend, private readonly options: SessionOptions) {
    const g = model.graph;
    this.overridable = overridableInputs(model);
    // Frozen, as the types say readonly: run checks fetches against outputNames and defaults to all of them, so a
    // caller's push into the array would otherwise make every later run fetch a value that does not exist.
    this.inputNames = Object.freeze(g.inputs.map((v) => v.name));
    this.outputNames = Object.freeze(g.outputs.map((v) => v.name));
    const meta = (v: { name: string; type: DataType | undefined; shape: readonly Dim[] | undefined }): ValueMetadata => Object.freeze({
      name: v.name, isTensor: true, type: v.type, shape: Object.freeze((v.shape ?? []).map((d) => (d === null ? '' : d))), rank: v.shape?.length,
    });
    this.inputMetadata = Object.freeze(g.inputs.map(meta));
    this.outputMetadata = Object.freeze(g.outputs.map(meta));
  }

  /**
   * Parses the ONNX bytes, optimises the graph and compiles it for the chosen backend ('auto' by default). The
   * session works on its own copy of the bytes, as onnxruntime's does: the caller may reuse, overwrite or transfer
   * its buffer afterwards.
   */
  static async create(bytes: Uint8Array | ArrayBuffer, options: SessionOptions = {}): Promise<InferenceSession> {
    // Without copies of their own the parsed tensors would be views into the bytes, and a buffer refilled or
    // transferred (detached) after create would change the weights of every later run. copyWeights copies each
    // tensor's payload (not the whole file) into an aligned array, so no second copy follows at the first run.
    const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
    return InferenceSession.fromModel(parseModel(data, { copyWeights: true }), options);
  }

  /**
   * A session over a model already parsed with `parseModel` (e.g. one the caller inspected or routed first, so the
   * bytes are decoded once); compiles like `create`.
   */
  static async fromModel(model: Model, options: SessionOptions = {}): Promise<InferenceSession> {
    checkSessionOptions(options, 'InferenceSession.create');
    if (model === null || typeof model !== 'object' || !model.graph || !Array.isArray(model.graph.nodes)) {
      throw new InputError('fromModel takes a model from parseModel (for the file\'s bytes use InferenceSession.create)');
    }
    // Float16 files run on the float32 kernels: widened once here, not per plan.
    const widened = widenFloat16(model);
    // An op no backend implements is refused now, before a device is acquired, not at the first run of a model
    // whose dynamic input shapes leave its compile until then.
    for (const node of widened.graph.nodes) {
      if (!findOpModule(node.opType, node.domain)) throw new UnsupportedOpError(node.domain ? `${node.domain}.${node.opType}` : node.opType, nodeLabel(node));
    }
    const backend = await createBackend(options);
    const session = new InferenceSession(widened, backend, options);
    // Compile eagerly when every input shape is static, so the first run pays no compile cost.
    const staticTypes = session.staticInputTypes();
    if (staticTypes) await session.planFor(staticTypes);
    else session.checkOutputTypesAtBatchOne();
    return session;
  }

  /** The backend actually in use ('auto' resolved). */
  get backendName(): 'cpu' | 'webgpu' {
    return this.backend.name;
  }

  /**
   * Why backend 'auto' put this session on the CPU (no adapter, only a software one without allowSoftwareAdapter,
   * a failed requestDevice...); undefined on WebGPU or when the backend was named.
   */
  get fallbackReason(): string | undefined {
    return this.backend.fallbackReason;
  }

  /**
   * Runs the model on `feeds` (every input by name) and returns the outputs, or only those named in `fetches`.
   */
  async run(feeds: FeedsType, fetches?: readonly string[]): Promise<ReturnType> {
    const { plan, inputs, wanted } = await this.prepareRun(feeds, fetches);
    try {
      return ownOutputs(await plan.run(inputs, wanted), wanted, inputs);
    } finally {
      this.donePlan(plan);
    }
  }

  /**
   * Several runs, possibly of different sessions and of one session more than once, with the results of each in the
   * order given. On the webgpu backend, when every session runs on one device, they go to the GPU as one command
   * buffer with one read-back: after the commands `options.prelude` holds (e.g. GPU pre-processing that writes these
   * runs' inputs), each run's feeds are copied in, its kernels dispatched and its outputs copied out before the next
   * run starts, so every run sees its own feeds and keeps its own results. Otherwise (the cpu backend, several
   * devices, a plan with CPU steps, profiling) the runs go in turn, as `run` each. A GPU-resident feed must stay
   * unchanged until the promise resolves.
   *
   * ```ts
   * const [emb, lmk] = await InferenceSession.runTogether([
   *   { session: recognizer, feeds: { data: crops } },
   *   { session: landmarks, feeds: { data: boxCrop }, fetches: ['fc1'] },
   * ]);
   * ```
   */
  static async runTogether(runs: readonly TogetherRun[], options: { readonly prelude?: GPUCommandEncoder } = {}): Promise<ReturnType[]> {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InputError(`runTogether takes an options object, got ${describeValue(options)}`);
    checkOptionShape(options, { prelude: 'object' }, 'runTogether', (option, why) => new InputError(`runTogether option ${option}: ${why}`));
    // Checked before any run is prepared: a plain-JS caller's wrong argument would otherwise surface as a TypeError
    // from inside the map below.
    if (!Array.isArray(runs)) throw new InputError(`runTogether takes an array of { session, feeds, fetches? }, got ${kindOf(runs)}`);
    runs.forEach((r, k) => {
      if (r === null || typeof r !== 'object') throw new InputError(`runTogether run ${k} is ${kindOf(r)}, not { session, feeds, fetches? }`);
      if (!(r.session instanceof InferenceSession)) throw new InputError(`runTogether run ${k} has no InferenceSession as its session (got ${kindOf(r.session)})`);
    });
    const settled = await Promise.allSettled(runs.map(async (r) => ({ session: r.session, ...(await r.session.prepareRun(r.feeds, r.fetches)) })));
    const prepared = settled.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
    try {
      const refused = settled.find((p) => p.status === 'rejected');
      if (refused) throw refused.reason;
      return await InferenceSession.runPrepared(prepared, options);
    } finally {
      for (const p of prepared) p.session.donePlan(p.plan);
    }
  }

  private static async runPrepared(
    prepared: readonly { session: InferenceSession; plan: ExecutionPlan; inputs: Map<string, PlanFeed>; wanted: readonly string[] }[],
    options: { readonly prelude?: GPUCommandEncoder },
  ): Promise<ReturnType[]> {
    const first = prepared[0]?.session;
    const oneDevice = first !== undefined && first.backend.runTogether !== undefined && prepared.every((p) => p.session.gpuDevice !== undefined && p.session.gpuDevice === first.gpuDevice);
    const grouped = oneDevice ? first.backend.runTogether!(prepared.map((p) => ({ plan: p.plan, feeds: p.inputs, fetches: p.wanted })), options.prelude) : undefined;
    let results: Map<string, TensorData>[];
    if (grouped) {
      results = await grouped;
    } else {
      // The prelude's commands still run, before the runs that may read what they write.
      if (options.prelude && first?.gpuDevice) first.gpuDevice.queue.submit([options.prelude.finish()]);
      results = [];
      for (const p of prepared) results.push(await p.plan.run(p.inputs, p.wanted));
    }
    return results.map((r, k) => ownOutputs(r, prepared[k]!.wanted, prepared[k]!.inputs));
  }

  /**
   * Runs like `run` on the webgpu backend but reads nothing back: each fetched output is a GpuTensor over the
   * buffer the session computed it in, for a consumer on the same device (`gpuDevice`) to use with its own
   * kernels, without a copy. The buffer belongs to the session's compiled plan: it is valid until the next run with
   * these input shapes is submitted, so the consumer submits its work that reads it before running the session
   * again (and never writes it), and never after `release`, which destroys it with the plan: a consumer copies on
   * the GPU what must outlive the session. The run's commands are submitted when the promise resolves.
   */
  async runOnGpu(feeds: FeedsType, fetches?: readonly string[]): Promise<Record<string, GpuTensor>> {
    if (this.backend.name !== 'webgpu') throw new InputError(`GPU-resident outputs need the webgpu backend, this session runs on ${this.backend.name}`);
    const { plan, inputs, wanted } = await this.prepareRun(feeds, fetches);
    try {
      if (!plan.runOnGpu) throw new BackendError(this.backend.name, 'the plan cannot keep its outputs on the GPU');
      const results = await plan.runOnGpu(inputs, wanted);
      const out: Record<string, GpuTensor> = {};
      for (const name of wanted) setOwn(out, name, results.get(name)!);
      return out;
    } finally {
      this.donePlan(plan);
    }
  }

  /** The GPU device a webgpu session runs on (GPU-resident feeds and `runOnGpu`'s outputs live there); undefined on the cpu backend. */
  get gpuDevice(): GPUDevice | undefined {
    return this.backend.device;
  }

  private async prepareRun(feeds: FeedsType, fetches: readonly string[] | undefined): Promise<{ plan: ExecutionPlan; inputs: Map<string, PlanFeed>; wanted: readonly string[] }> {
    if (this.released) throw new InputError('the session was released');
    // Counted before the plan exists: a release meanwhile must not dispose the plan this run is about to use.
    this.runsUnderWay++;
    try {
      return await this.preparePlan(feeds, fetches);
    } catch (error) {
      this.runEnded();
      throw error;
    }
  }

  private async preparePlan(feeds: FeedsType, fetches: readonly string[] | undefined): Promise<{ plan: ExecutionPlan; inputs: Map<string, PlanFeed>; wanted: readonly string[] }> {
    const inputs = checkFeeds(this.model.graph.inputs, this.backend.name, feeds, this.overridable);
    // A string would be read as a list of one-letter names.
    if (fetches !== undefined && !Array.isArray(fetches)) throw new InputError(`fetches must be an array of output names (outputs: ${this.outputNames.join(', ')})`);
    // As in onnxruntime: an empty list (a filter that kept nothing) would run the model for no result at all.
    if (fetches !== undefined && fetches.length === 0) throw new InputError(`fetches is an empty array; leave it out to fetch every output (outputs: ${this.outputNames.join(', ')})`);
    const wanted = fetches ?? this.outputNames;
    for (const name of wanted) if (!this.outputNames.includes(name)) throw new InputError(`'${name}' is not a model output (outputs: ${this.outputNames.join(', ')})`);
    const types = new Map<string, ValueType>();
    for (const [name, t] of inputs) types.set(name, { type: t.type, dims: t.dims });
    const plan = await this.planFor(types);
    // Counted from here to donePlan, so a plan evicted from the cache meanwhile is disposed only after this run.
    this.plansInUse.set(plan, (this.plansInUse.get(plan) ?? 0) + 1);
    this.lastPlan = plan;
    return { plan, inputs, wanted };
  }

  /** The end of a run prepareRun counted: disposes its plan if it was evicted and no other run holds it. */
  private donePlan(plan: ExecutionPlan): void {
    const left = (this.plansInUse.get(plan) ?? 1) - 1;
    if (left > 0) {
      this.plansInUse.set(plan, left);
    } else {
      this.plansInUse.delete(plan);
      if (this.evictedPlans.delete(plan)) plan.dispose();
    }
    this.runEnded();
  }

  private runEnded(): void {
    this.runsUnderWay--;
    if (this.runsUnderWay === 0) this.onIdle?.();
  }

  /** Disposes a plan that left the cache, or marks it for donePlan while runs still hold it. */
  private retirePlan(plan: ExecutionPlan): void {
    if (this.plansInUse.has(plan)) this.evictedPlans.add(plan);
    else plan.dispose();
  }

  /**
   * The GPU buffer that runs with input `name` shaped `dims` read from (the other inputs must have static shapes),
   * as a GpuTensor: a producer on the session's device writes it, then passes it to `run`, which copies nothing.
   * The buffer belongs to the session's compiled plan; write it only right before the `run` that reads it.
   */
  async gpuInput(name: string, dims: readonly number[]): Promise<GpuTensor> {
    if (this.released) throw new InputError('the session was released');
    if (this.backend.name !== 'webgpu') throw new InputError(`GPU-resident inputs need the webgpu backend, this session runs on ${this.backend.name}`, name);
    // Before the other inputs' shapes are looked at, which would otherwise blame one of them for a misspelt name.
    if (!this.inputNames.includes(name)) throw new InputError(`'${name}' is not a model input (inputs: ${this.inputNames.join(', ')})`, name);
    const types = new Map<string, ValueType>();
    for (const v of this.model.graph.inputs) {
      if (v.name === name) {
        if (!v.type) throw new InputError('the model does not declare its element type', name);
        types.set(name, { type: v.type, dims: [...dims] });
        continue;
      }
      if (!v.type || !v.shape || v.shape.some((d) => typeof d !== 'number')) throw new InputError(`input '${v.name}' has no static shape; only single-dynamic-input models can hand out input buffers`, name);
      types.set(v.name, { type: v.type, dims: v.shape as number[] });
    }
    if (!types.has(name)) throw new InputError(`'${name}' is not a model input (inputs: ${this.inputNames.join(', ')})`, name);
    const t = types.get(name)!;
    checkShape(this.model.graph.inputs, name, t.dims);
    const buffer = (await this.planFor(types)).inputBuffer?.(name);
    if (!buffer) throw new BackendError(this.backend.name, `the plan exposes no buffer for input '${name}'`);
    return new GpuTensor(t.type, t.dims, buffer);
  }

  /**
   * Where compiling took its time, one entry per plan compiled so far (one per set of input shapes), in order: the
   * graph passes, and on WebGPU lowering, pipeline compiles and the weight upload (zero on the cpu backend).
   */
  get compileTimes(): readonly CompileTimes[] {
    return this.compileLog;
  }

  /**
   * Starts compiling the kernels that runs with these input shapes will use, without creating their buffers: e.g. a
   * dynamic-size detector's, at the size it will run at, while the other models load. Resolves once they are
   * compiled (at once on the cpu backend, which compiles nothing); the run then finds them in the device's cache.
   * With `specialized`, the tiered kernels' specialised ones too: the plan made at that run then uses them from its
   * first run instead of starting on the generic ones (see KernelTiers).
   * Throws InputError for a name that is not an input, a missing input, or a shape the model's declared one refuses.
   */
  precompile(shapes: Readonly<Record<string, readonly number[]>>, options: { readonly specialized?: boolean } = {}): Promise<void> {
    const run = this.compileAhead(shapes, options);
    const settled = run.catch(() => undefined);
    this.precompiling.add(settled);
    void settled.then(() => this.precompiling.delete(settled));
    return run;
  }

  /**
   * When each precompile that has finished ran its phases (PrecompileTimes), in the order they finished; waits for
   * those in flight first (a failed one leaves no entry). One that starts later is not waited for.
   */
  async precompileTimes(): Promise<readonly PrecompileTimes[]> {
    await Promise.all([...this.precompiling]);
    return [...this.precompileLog];
  }

  private async compileAhead(shapes: Readonly<Record<string, readonly number[]>>, options: { readonly specialized?: boolean }): Promise<void> {
    if (this.released) throw new InputError('the session was released');
    // Checked on every backend, though only webgpu reads them: a misspelt { specialised: true } would otherwise
    // compile the generic kernels only, without a word, and the code would fail only once moved to a GPU.
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InputError(`precompile takes an options object, got ${describeValue(options)}`);
    checkOptionShape(options, { specialized: 'boolean' }, 'precompile', (option, why) => new InputError(`precompile option ${option}: ${why}`));
    const g = this.model.graph;
    if (shapes === null || typeof shapes !== 'object') throw new InputError(`precompile takes an object of input shapes (${inputList(g.inputs, this.overridable)})`);
    for (const name of Object.keys(shapes)) {
      if (!this.inputNames.includes(name) && !this.overridable.some((v) => v.name === name)) throw new InputError(`'${name}' is not a model input (${inputList(g.inputs, this.overridable)})`, name);
    }
    // An overridable input given a shape is one the runs to come will feed: its variant's kernels are compiled.
    const named = this.overridable.filter((v) => Object.hasOwn(shapes, v.name) && shapes[v.name] !== undefined);
    const types = new Map<string, ValueType>();
    for (const v of [...g.inputs, ...named]) {
      const dims = Object.hasOwn(shapes, v.name) ? shapes[v.name] : undefined;
      if (!dims) throw new InputError('missing shape', v.name);
      if (!v.type) throw new InputError('the model does not declare its element type', v.name);
      checkShape([v], v.name, dims);
      types.set(v.name, { type: v.type, dims: [...dims] });
    }
    if (!this.backend.requestKernels) return;
    const started = performance.now();
    const staticGraph = specializeGraph(this.modelFor(types), types);
    checkOutputTypes(this.model, staticGraph);
    const graph = optimizeGraph(staticGraph);
    const passesEnd = performance.now();
    const specialized = options.specialized ?? false;
    const t = await this.backend.requestKernels(graph, { kernels: this.options.webgpu?.kernels, specialized, precision: this.options.webgpu?.precision });
    this.precompileLog.push({ shapes: Object.fromEntries(Object.entries(shapes).map(([k, v]) => [k, [...v]])), specialized, started, passesEnd, ...t });
  }

  /** Per-node timings of the last run (needs `profiling: true`). */
  lastProfile(): readonly StepTiming[] | undefined {
    return this.lastPlan?.lastProfile();
  }

  /**
   * Resolves once every plan compiled so far runs its fastest kernels: on WebGPU with tiered kernels (the
   * default) the first results come from generic kernels while the specialised ones compile. Benchmarks of warm
   * latency wait for this; applications need not (runs switch over by themselves, except on a software adapter,
   * where the specialised kernels compile only when this asks: see KernelTiers).
   */
  async specialized(): Promise<void> {
    const plans = await Promise.all([...this.plans.values()].map((p) => p.catch(() => undefined)));
    await Promise.all(plans.map((p) => p?.specialized?.()));
  }

  /** The kernels the plan of the last run uses now: 'generic' or 'specialized' on WebGPU (see WebGpuOptions.kernels), else undefined. */
  get kernels(): 'generic' | 'specialized' | undefined {
    return this.lastPlan?.kernels;
  }

  /** Peak bytes of intermediate values held by the last plan. */
  get peakBytes(): number {
    return this.lastPlan?.peakBytes ?? 0;
  }

  /**
   * Frees the session's plans and buffers (and a device it acquired itself, never a lent `webgpu.device`) once the
   * runs and precompiles already made have settled (their results arrive); calls after it throw InputError, and a second call
   * returns the first's promise.
   */
  release(): Promise<void> {
    this.releasing ??= this.releaseAfterRuns();
    return this.releasing;
  }

  private async releaseAfterRuns(): Promise<void> {
    this.released = true;
    if (this.runsUnderWay > 0) await new Promise<void>((resolve) => { this.onIdle = resolve; });
    // A precompile in flight is still creating pipelines on the device the dispose below may destroy; `precompiling`
    // holds its settled (never rejecting) form, and no new one starts once `released` is set.
    await Promise.all([...this.precompiling]);
    for (const p of this.plans.values()) (await p.catch(() => undefined))?.dispose();
    this.plans.clear();
    for (const p of this.evictedPlans) p.dispose();
    this.evictedPlans.clear();
    this.backend.dispose();
  }

  /**
   * A dynamic-batch model (every unknown dim a leading batch dim, as exporters write them) compiles at its first run;
   * its output types, which the batch does not change, are checked now on a batch-1 specialisation (a few ms), so a
   * declared type the graph does not compute is refused at create. A model with other dynamic dims, or one that does
   * not specialise at batch 1, is checked when its first plan is made, which also reports what stopped this one.
   */
  private checkOutputTypesAtBatchOne(): void {
    const types = new Map<string, ValueType>();
    for (const v of this.model.graph.inputs) {
      if (!v.type || !v.shape || v.shape.some((d, i) => i > 0 && typeof d !== 'number')) return;
      types.set(v.name, { type: v.type, dims: v.shape.map((d) => (typeof d === 'number' ? d : 1)) });
    }
    let graph: StaticGraph;
    try {
      graph = specializeGraph(this.model, types);
    } catch {
      return;
    }
    checkOutputTypes(this.model, graph);
  }

  /**
   * The type and shape of every output for these input types, by shape inference alone (no plan, no kernels, no
   * weights touched): what a run on such inputs would give, or the GraphError (or other engine error) its compile
   * would throw. @internal
   */
  outputTypesFor(types: ReadonlyMap<string, ValueType>): ValueType[] {
    const graph = specializeGraph(this.modelFor(types), types);
    return graph.outputs.map((name) => graph.types.get(name)!);
  }

  /** The model a plan for these input types is made of: `model`, or the variant for the overridable inputs among them. */
  private modelFor(types: ReadonlyMap<string, ValueType>): Model {
    const fed = this.overridable.filter((v) => types.has(v.name));
    return fed.length === 0 ? this.model : withFedInputs(this.model, fed);
  }

  private staticInputTypes(): Map<string, ValueType> | undefined {
    const types = new Map<string, ValueType>();
    for (const v of this.model.graph.inputs) {
      if (!v.type || !v.shape || v.shape.some((d) => typeof d !== 'number')) return undefined;
      types.set(v.name, { type: v.type, dims: v.shape as number[] });
    }
    return types;
  }

  private planFor(types: ReadonlyMap<string, ValueType>): Promise<ExecutionPlan> {
    const key = [...types].map(([n, t]) => `${n}:${t.type}[${t.dims.join(',')}]`).join(';');
    let plan = this.plans.get(key);
    if (plan) {
      this.plans.delete(key);
      this.plans.set(key, plan);
      return plan;
    }
    plan = (async () => {
      const started = performance.now();
      const staticGraph = specializeGraph(this.modelFor(types), types);
      checkOutputTypes(this.model, staticGraph);
      const graph = optimizeGraph(staticGraph);
      const passesMs = performance.now() - started;
      const compiled = await this.backend.compile(graph, { profiling: this.options.profiling ?? false, kernels: this.options.webgpu?.kernels, precision: this.options.webgpu?.precision });
      this.compileLog.push({ passesMs, lowerMs: 0, pipelinesMs: 0, uploadMs: 0, ...compiled.compileTimes });
      return compiled;
    })();
    this.plans.set(key, plan);
    plan.catch(() => this.plans.delete(key));
    if (this.plans.size > MAX_CACHED_PLANS) {
      const [oldestKey, oldest] = this.plans.entries().next().value as [string, Promise<ExecutionPlan>];
      this.plans.delete(oldestKey);
      // A run in flight on it (runs of many shapes at once) keeps it until it ends.
      void oldest.then((p) => this.retirePlan(p), () => undefined);
    }
    return plan;
  }
}

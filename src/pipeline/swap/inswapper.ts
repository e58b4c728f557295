import { lastInitializer, type Graph, type TensorData } from '../../core/ir.js';
import { checkSessionOptionsBag, describeValue, optionsObject } from '../call-options.js';
import { Tensor } from '../../core/tensor.js';
import type { BackendName } from '../../backends/options.js';
import { InferenceSession, type SessionOptions } from '../../session/session.js';
import type { Affine2x3 } from '../affine.js';
import { ModelContractError, PipelineOptionError } from '../errors.js';
import { createBgrImage, type BgrImage } from '../image.js';
import { loadImage, type ImageInput } from '../image-source.js';
import { estimateNorm } from '../norm-crop.js';
import { writeBlob } from '../preprocess/blob.js';
import { warpAffine } from '../preprocess/warp-affine.js';
import { pasteBack } from './paste-back.js';
import { LATENT_SIZE, normedEmbedding, sumSquares, type SwapSource } from './source-embedding.js';
import { GpuSwap } from './inswapper-gpu.js';

export { LATENT_SIZE, type SwapSource };

/** The crop side INSwapper works at (its first input is N×3×128×128). */
export const SWAP_SIZE = 128;
/** The face whose place is taken: only its five keypoints (flat x0, y0, … x4, y4, as `Face.kps`) are read. */
export interface SwapTarget {
  readonly kps: ArrayLike<number> | undefined;
}

/** How INSwapper.create picks its backend. */
export interface INSwapperOptions {
  /** 'auto' (default): WebGPU on a real GPU adapter when one exists, else the CPU backend. */
  readonly backend?: BackendName;
  /** Passed on to the swapper's InferenceSession. */
  readonly sessionOptions?: Omit<SessionOptions, 'backend'>;
}

/** What INSwapper.get returns. */
export interface SwapOptions {
  /** true (default): return the whole image with the face pasted in; false: the 128×128 swapped crop and its transform. */
  readonly pasteBack?: boolean;
}

/** `INSwapper.get(…, { pasteBack: false })`: the swapped face and the transform that cut it out. */
export interface SwapCrop {
  /** 128×128 BGR uint8: the network's output, `clip(255·x, 0, 255)` truncated. */
  readonly crop: BgrImage;
  /** norm_crop2's transform, image → crop (float64), as InsightFace returns it. */
  readonly M: Affine2x3;
}

/**
 * Runs the swap network: the aligned target blob (1×3×128×128, RGB / 255) and the latent (1×512) in, the output
 * (1×3×128×128, RGB in 0 … 1) out. InferenceSession is the implementation; tests may put another runtime here.
 * @internal
 */
export type SwapNetwork = (target: Float32Array, latent: Float32Array) => Promise<Float32Array>;

/**
 * InsightFace's INSwapper (`insightface/model_zoo/inswapper.py`, the `inswapper_128.onnx` model): puts the source
 * face's identity onto a target face. Every step follows the Python code's arithmetic: norm_crop2 at 128, blob
 * RGB/255, latent = normed_embedding · emap then L2-normalised, the model, clip(255·x) truncated to uint8 and BGR,
 * and the paste-back with the eroded, blurred mask.
 * On a WebGPU session (backend 'webgpu', or 'auto' on a GPU) the whole of `get` after the latent runs as WGSL kernels
 * on the session's device — crop warp, network, truncation, mask warp, erosion, blur, blend — and the result is read
 * back once, with the CPU path's bytes (see GpuSwap). Images or transforms the kernels cannot take (larger than one
 * storage binding, beyond int32 fixed point) use the CPU path.
 */
export class INSwapper {
  readonly taskname = 'inswapper';
  /** InsightFace's `input_mean` for this model: the blob is RGB / 255. */
  readonly inputMean = 0;
  /** InsightFace's `input_std` for this model. */
  readonly inputStd = 255;
  /** The crop side (InsightFace's `input_size[0]`). */
  readonly inputSize = SWAP_SIZE;

  private constructor(
    /** The 512×512 float32 identity map, row-major (`emap`, the model file's last initializer). */
    readonly emap: Float32Array,
    private readonly network: SwapNetwork,
    private readonly releaseNetwork: () => Promise<void>,
    /** The session running the model (undefined when another runtime does). */
    readonly session: InferenceSession | undefined,
    /** On a WebGPU session: every stage of `get` as WGSL kernels, the result read back once. */
    private readonly gpu: GpuSwap | undefined = undefined,
  ) {}

  /**
   * Loads an INSwapper ONNX file (`inswapper_128.onnx` or a replica). Throws ModelContractError when the file is not
   * one: not 2 inputs, first not N×3×128×128, second not [1, 512], output not N×3×128×128, or no usable emap (the
   * last initializer must be a finite float32 512×512 matrix that no node uses).
   */
  static async create(bytes: Uint8Array | ArrayBuffer, createOptions?: INSwapperOptions): Promise<INSwapper> {
    const options = optionsObject(createOptions, 'INSwapper.create', { backend: 'string', sessionOptions: 'object' });
    checkSessionOptionsBag(options.sessionOptions, 'INSwapper.create');
    const session = await InferenceSession.create(bytes, { ...options.sessionOptions, backend: options.backend ?? 'auto' });
    try {
      return INSwapper.fromSession(session);
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** An INSwapper over an already created session (getModel uses this); checks the model as `create` does. */
  static fromSession(session: InferenceSession): INSwapper {
    const graph = session.model.graph;
    const { emap, targetName, latentName, outputName } = checkSwapModel(graph);
    const network: SwapNetwork = async (target, latent) => {
      const out = (await session.run({
        [targetName]: new Tensor('float32', target, [1, 3, SWAP_SIZE, SWAP_SIZE]),
        [latentName]: new Tensor('float32', latent, [1, LATENT_SIZE]),
      }, [outputName]))[outputName];
      if (!out || out.type !== 'float32') throw new ModelContractError('inswapper', `output '${outputName}' is not float32`);
      return out.data as Float32Array;
    };
    const device = session.gpuDevice;
    const gpu = session.backendName === 'webgpu' && device ? new GpuSwap(session, device, { targetName, latentName, outputName, cropSize: SWAP_SIZE }) : undefined;
    return new INSwapper(emap, network, async () => { gpu?.dispose(); await session.release(); }, session, gpu);
  }

  /**
   * An INSwapper whose network runs elsewhere (e.g. another ONNX runtime, to check this class's arithmetic on its own).
   * `graph` is the parsed model (for the checks and emap).
   * @internal
   */
  static withNetwork(graph: Graph, network: SwapNetwork): INSwapper {
    const { emap } = checkSwapModel(graph);
    return new INSwapper(emap, network, async () => undefined, undefined);
  }

  /** `latent = normed_embedding @ emap; latent /= ‖latent‖` (float32 values, float64 sums). */
  latent(source: SwapSource): Float32Array {
    const embedding = normedEmbedding(source);
    const latent = new Float32Array(LATENT_SIZE);
    for (let j = 0; j < LATENT_SIZE; j++) {
      let s = 0;
      for (let i = 0; i < LATENT_SIZE; i++) s += embedding[i]! * this.emap[i * LATENT_SIZE + j]!;
      latent[j] = s;
    }
    const norm = Math.fround(Math.sqrt(sumSquares(latent)));
    if (!(norm > 0) || !Number.isFinite(norm)) throw new PipelineOptionError('sourceFace', `the latent has norm ${norm}; the embedding (or emap) is zero or not finite`);
    for (let j = 0; j < LATENT_SIZE; j++) latent[j] = latent[j]! / norm;
    return latent;
  }

  /**
   * Swaps `sourceFace`'s identity onto `targetFace` of `image` (InsightFace's `get(img, target_face, source_face,
   * paste_back)`). With `pasteBack` (the default) returns a new full-size image; with `pasteBack: false` the 128×128
   * swapped crop and its transform M.
   */
  get(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource, options: { readonly pasteBack: false }): Promise<SwapCrop>;
  get(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource, options?: { readonly pasteBack?: true }): Promise<BgrImage>;
  get(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource, options?: SwapOptions): Promise<SwapCrop | BgrImage>;
  async get(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource, options?: SwapOptions): Promise<SwapCrop | BgrImage> {
    const { pasteBack } = optionsObject(options, 'INSwapper.get', { pasteBack: 'boolean' });
    // A plain-JS caller's 0, 'false' or null would otherwise read as "not false" and silently paste back.
    if (pasteBack !== undefined && typeof pasteBack !== 'boolean') throw new PipelineOptionError('pasteBack', `${describeValue(pasteBack)} is not true or false`);
    const pasted = pasteBack !== false;
    const r = await this.swap(image, targetFace, sourceFace, { crop: !pasted, paste: pasted });
    return pasted ? r.image! : { crop: r.crop!, M: r.M };
  }

  /**
   * Both results of one network run: the `pasteBack: false` crop and its M, and the `pasteBack: true` image, as two
   * `get` calls would give them (on WebGPU still one read-back).
   * @internal
   */
  async getBoth(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource): Promise<SwapCrop & { readonly image: BgrImage }> {
    const r = await this.swap(image, targetFace, sourceFace, { crop: true, paste: true });
    return { crop: r.crop!, M: r.M, image: r.image! };
  }

  private async swap(image: ImageInput, targetFace: SwapTarget, sourceFace: SwapSource, want: { readonly crop: boolean; readonly paste: boolean }): Promise<{ crop?: BgrImage; image?: BgrImage; M: Affine2x3 }> {
    const kps = targetFace?.kps;
    if (!kps || kps.length !== 10) {
      throw new PipelineOptionError('targetFace', kps ? `has ${kps.length} keypoint values, expected 10 (five points)` : 'has no keypoints (INSwapper aligns on the five detector keypoints)');
    }
    for (let i = 0; i < 10; i++) if (!Number.isFinite(kps[i]!)) throw new PipelineOptionError('targetFace', `keypoint value ${i} is ${kps[i]}`);
    const latent = this.latent(sourceFace);
    const img = await loadImage(image);
    // norm_crop2: estimate_norm at 128 (ratio 1, template shifted right by 8), warped with borderValue 0.
    const M = estimateNorm(kps, SWAP_SIZE);
    // Python gets NaN here too (and a black crop); a clear error serves better.
    if (!M.every(Number.isFinite)) throw new PipelineOptionError('targetFace', 'the five keypoints are degenerate (all equal), so no alignment exists');
    if (this.gpu) {
      // Every stage on the GPU, unless this image or transform needs the CPU path (see GpuSwap.swap).
      const r = await this.gpu.swap(img, M, latent, want);
      if (r) return { ...r, M };
    }
    const aimg = warpAffine(img, M, SWAP_SIZE, SWAP_SIZE);
    const blob = new Float32Array(3 * SWAP_SIZE * SWAP_SIZE);
    writeBlob(aimg, { mean: this.inputMean, std: this.inputStd }, blob, 0);
    const pred = await this.network(blob, latent);
    if (pred.length !== blob.length) throw new ModelContractError('inswapper', `output has ${pred.length} values, expected 1×3×${SWAP_SIZE}×${SWAP_SIZE}`);
    const crop = outputToBgr(pred);
    return { crop, image: want.paste ? pasteBack(img, crop, M) : undefined, M };
  }

  /** Releases the session (its backend and compiled plans); the swapper cannot run afterwards. */
  async release(): Promise<void> {
    await this.releaseNetwork();
  }
}

/** `clip(255·x, 0, 255).astype(uint8)` of the NCHW RGB output, channels reversed to BGR (float32 product, truncated). */
export function outputToBgr(pred: Float32Array): BgrImage {
  const plane = SWAP_SIZE * SWAP_SIZE;
  const out = createBgrImage(SWAP_SIZE, SWAP_SIZE);
  const d = out.data;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.fround(255 * pred[c * plane + i]!);
      // NaN compares false both ways; NumPy's clip keeps it and astype(uint8) gives 0 on x86.
      d[i * 3 + 2 - c] = v >= 255 ? 255 : v > 0 ? Math.trunc(v) : 0;
    }
  }
  return out;
}

/** What checkSwapModel finds: emap and the names of the two inputs and the output. */
export interface SwapModelParts {
  readonly emap: Float32Array;
  readonly targetName: string;
  readonly latentName: string;
  readonly outputName: string;
}

/** The checks of INSwapper.create; see there. */
export function checkSwapModel(graph: Graph): SwapModelParts {
  const fail = (why: string): never => { throw new ModelContractError('inswapper', why); };
  const shape = (dims: readonly (number | string | null)[] | undefined): string => (dims ? `[${dims.map((d) => d ?? '?').join(', ')}]` : 'an undeclared shape');
  if (graph.inputs.length !== 2) fail(`has ${graph.inputs.length} input(s); INSwapper takes 2 (the target crop N×3×128×128 and the source latent 1×512)`);
  const [target, latent] = graph.inputs as [typeof graph.inputs[0], typeof graph.inputs[0]];
  const isCrop = (dims: readonly (number | string | null)[] | undefined): boolean => dims !== undefined && dims.length === 4
    && (dims[0] === 1 || typeof dims[0] !== 'number') && dims[1] === 3 && dims[2] === SWAP_SIZE && dims[3] === SWAP_SIZE;
  if (!isCrop(target.shape)) fail(`first input '${target.name}' is ${shape(target.shape)}; INSwapper's is N×3×128×128 (N = 1 or dynamic)`);
  const l = latent.shape;
  if (!l || l.length !== 2 || (l[0] !== 1 && typeof l[0] === 'number') || l[1] !== LATENT_SIZE) fail(`second input '${latent.name}' is ${shape(l)}; INSwapper's is [1, ${LATENT_SIZE}]`);
  for (const v of [target, latent]) if (v.type !== undefined && v.type !== 'float32') fail(`input '${v.name}' is ${v.type}, expected float32`);
  const output = graph.outputs[0];
  if (graph.outputs.length !== 1 || !output) fail(`has ${graph.outputs.length} outputs, expected 1`);
  if (output!.shape !== undefined && !isCrop(output!.shape)) fail(`output '${output!.name}' is ${shape(output!.shape)}, expected N×3×128×128`);
  return { emap: readEmap(graph, fail), targetName: target.name, latentName: latent.name, outputName: output!.name };
}

/** InsightFace: `emap = numpy_helper.to_array(onnx.load(file).graph.initializer[-1])`. */
function readEmap(graph: Graph, fail: (why: string) => never): Float32Array {
  const last = lastInitializer(graph);
  if (!last) return fail('has no initializers, so no emap (InsightFace reads emap as the last initializer)');
  const { name, tensor } = last;
  const users = graph.nodes.filter((n) => n.inputs.includes(name));
  const what = `the last initializer '${name}' (InsightFace's emap)`;
  if (users.length > 0) fail(`${what} is used by node '${users[0]!.name || users[0]!.opType}'; emap is a ${LATENT_SIZE}×${LATENT_SIZE} matrix no node uses (missing from this file?)`);
  if (tensor.type !== 'float32') fail(`${what} is ${tensor.type}, expected float32`);
  if (tensor.dims.length !== 2 || tensor.dims[0] !== LATENT_SIZE || tensor.dims[1] !== LATENT_SIZE) fail(`${what} is [${tensor.dims.join(', ')}], expected [${LATENT_SIZE}, ${LATENT_SIZE}]`);
  const data = (tensor as TensorData & { data: Float32Array }).data;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) fail(`${what} holds a non-finite value at index ${i}`);
  return data;
}

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BackendName } from '../src/index.js';
import { ModelFormatError, ModelVersionError } from '../src/core/errors.js';
import type { Model } from '../src/core/ir.js';
import { widenFloat16 } from '../src/graph/widen-float16.js';
import { parseModel } from '../src/parser/decode-model.js';
import { InferenceSession } from '../src/session/session.js';
import { LATENT_SIZE, checkSwapModel } from '../src/pipeline/swap/inswapper.js';
import {
  FaceAnalysis, INSwapper, ImageError, ModelContractError, ModelPackError, PipelineOptionError, createBgrImage, loadImage, routeGraph,
  type BgrImage, type Face,
} from '../src/pipeline/index.js';
import { parseDetSizes } from '../src/pipeline/detect-size.js';
import { resolvePackFolder } from '../src/pipeline/model-pack.js';
import { modelsDirOf, resolveInsightFaceRoot } from '../models/fetch/paths.js';
import { asksForHelp, optionValue, parseArgs } from './args.js';
import { encodePng, writePng } from './encode-png.js';
import { OutputFileError, prepareOutputFile, sameFile } from './output-file.js';

export const SWAP_USAGE = `insightgpu swap --models DIR [--swapper FILE] (--source IMG [--source-face K] | --source-embedding FILE.json)
                --out OUT.png [--target-face J|all] [--no-paste-back] [--det-size 640] [--backend auto|webgpu|cpu] [--quiet] TARGET_IMG`;

const HELP = `usage: ${SWAP_USAGE}
  Puts the source face's identity onto the faces of TARGET_IMG with InsightFace's INSwapper (inswapper_128.onnx),
  as InsightFace's inswapper example does. Faces are numbered left to right by bbox x1.
  --models DIR            the detector and a 512-d recognizer (a folder, or an installed pack name such as buffalo_l)
  --swapper FILE          the INSwapper file (default: the one in the models folder, else ~/.insightface/models/inswapper_128.onnx)
  --source IMG            the photo whose face gives the identity; --source-face K picks its K-th face (default 0)
  --source-embedding F    a JSON file with the identity instead: an array of 512 numbers, or an object with
                          "normed_embedding", "embedding" or "source_normed_embedding"
  --target-face J|all     which target face to swap (default all, each in turn into one result)
  --no-paste-back         write the 128×128 swapped crops side by side instead of the merged photo
  --out OUT.png           where to write the result (always PNG, so not .jpg; not one of the inputs, which it would overwrite);
                          - writes the PNG to stdout`;

/** Extensions of image formats other than PNG, which --out refuses (the result is PNG). */
const OTHER_IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.jpe', '.webp', '.avif', '.heic', '.heif', '.gif', '.tif', '.tiff', '.bmp', '.jxl', '.jp2']);

/** What `swap` reads from its arguments. */
export interface SwapCommandOptions {
  readonly models: string;
  readonly swapper: string | undefined;
  readonly source: { readonly image: string; readonly face: number } | { readonly embedding: string };
  readonly target: string;
  readonly targetFace: number | 'all';
  readonly pasteBack: boolean;
  readonly out: string;
  readonly detSize: string;
  readonly backend: BackendName;
  readonly log?: (message: string) => void;
}

const byX1 = (faces: readonly Face[]): Face[] => [...faces].sort((a, b) => a.bbox[0]! - b.bbox[0]!);

function faceIndex(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new PipelineOptionError(option, `'${text}' is not a face index (0, 1, …)`);
  return Number(text);
}

/** The INSwapper file: --swapper, else one in the models folder, else where `fetch-models inswapper_128` installs it. */
async function findSwapper(models: string, explicit: string | undefined): Promise<string> {
  if (explicit !== undefined) {
    const info = await stat(explicit).catch(() => undefined);
    if (!info) throw new ModelPackError('--swapper: no such file', explicit);
    if (!info.isFile()) throw new ModelPackError('--swapper: not a file (give the INSwapper .onnx file itself)', explicit);
    return explicit;
  }
  // The pack's own folder (an installed pack name such as buffalo_l resolves as FaceAnalysis resolves it); a pack
  // that does not exist is reported as such here, not as a missing swapper.
  const folder = await resolvePackFolder(models);
  const onnx = (await readdir(folder)).filter((f) => f.toLowerCase().endsWith('.onnx')).sort();
  const named = onnx.find((f) => /inswapper/i.test(f));
  if (named) return path.join(folder, named);
  for (const f of onnx) {
    const file = path.join(folder, f);
    let graph: Model['graph'];
    try {
      graph = parseModel(new Uint8Array(await readFile(file))).graph;
    } catch (error) {
      // Named here: the bare decoder message does not say which of the folder's files it is about.
      if (error instanceof ModelFormatError) throw new ModelPackError(`not an ONNX file (${error.why})`, file, { cause: error });
      if (error instanceof ModelVersionError) throw new ModelPackError(error.message, file, { cause: error });
      throw error;
    }
    if (routeGraph(graph) === 'inswapper') return file;
  }
  // Where `fetch-models inswapper_128` puts it: the same root rule (an empty $INSIGHTFACE_HOME is unset, ~ expands).
  const installed = path.join(modelsDirOf(resolveInsightFaceRoot()), 'inswapper_128.onnx');
  if ((await stat(installed).catch(() => undefined))?.isFile()) return installed;
  throw new ModelPackError(`no INSwapper file found here nor at ${installed}; give --swapper FILE or run \`insightgpu fetch-models inswapper_128\``, models);
}

/** The shape of a JSON value as `a×b×…` (a list of lists reads as two dimensions), for saying what a file holds. */
function jsonShape(value: unknown): string {
  const dims: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    dims.push(v.length);
    v = v[0];
  }
  return dims.join('×');
}

/**
 * The identity from --source-embedding, checked here (512 finite numbers, not all zero) so a wrong file is refused
 * by name before any model loads, not after the target's detection.
 */
async function readEmbedding(file: string): Promise<Float32Array> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    // JSON.parse quotes the text it choked on, newlines included: one line keeps the error on one line.
    throw new PipelineOptionError('--source-embedding', `cannot read ${file}: ${(error as Error).message.replace(/\s*\n\s*/g, ' ')}`);
  }
  const record = value as Record<string, unknown>;
  const list = Array.isArray(value) ? value : record?.['normed_embedding'] ?? record?.['embedding'] ?? record?.['source_normed_embedding'];
  if (Array.isArray(list) && list.length > 0 && list.every((v) => Array.isArray(v))) {
    throw new PipelineOptionError('--source-embedding', `${file} holds a ${jsonShape(list)} array of arrays; give the ${LATENT_SIZE} numbers as one flat array`);
  }
  if (!Array.isArray(list) || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new PipelineOptionError('--source-embedding', `${file} holds no embedding (an array of numbers, or "normed_embedding" / "embedding" / "source_normed_embedding")`);
  }
  if (list.length !== LATENT_SIZE) {
    throw new PipelineOptionError('--source-embedding', `${file} holds ${list.length} numbers; INSwapper needs a ${LATENT_SIZE}-d ArcFace embedding (such as buffalo_l's w600k_r50 gives)`);
  }
  if (list.every((v) => v === 0)) throw new PipelineOptionError('--source-embedding', `${file} holds an all-zero embedding, which has no identity`);
  return Float32Array.from(list as number[]);
}

/** The 128×128 crops side by side, left to right. */
function sideBySide(crops: readonly BgrImage[]): BgrImage {
  const size = crops[0]!.height;
  const out = createBgrImage(size * crops.length, size);
  crops.forEach((c, k) => {
    for (let y = 0; y < size; y++) out.data.set(c.data.subarray(y * size * 3, (y + 1) * size * 3), (y * out.width + k * size) * 3);
  });
  return out;
}

/**
 * Reads and checks the INSwapper file (ONNX, INSwapper's inputs, an emap) without compiling it; errors name the file.
 * A float16 file is widened first, as a session widens it, so its float16 emap is checked as the float32 one the
 * swapper reads.
 */
async function readSwapper(file: string): Promise<Model> {
  try {
    const model = widenFloat16(parseModel(new Uint8Array(await readFile(file))));
    checkSwapModel(model.graph);
    return model;
  } catch (error) {
    if (error instanceof ModelContractError) throw new ModelPackError(`not an INSwapper: ${error.why}`, file, { cause: error });
    if (error instanceof ModelFormatError) throw new ModelPackError(`not an INSwapper: not an ONNX file (${error.why})`, file, { cause: error });
    if (error instanceof ModelVersionError) throw new ModelPackError(error.message, file, { cause: error });
    throw error;
  }
}

/** Resolves once stdout has taken the bytes (a closed pipe ends the process through main's EPIPE rule). */
function writeToStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/** Runs the swap and writes the result; returns the number of faces swapped. */
export async function runSwap(o: SwapCommandOptions): Promise<number> {
  // Everything that can be checked without a model is checked before any loads: the output path (and that it is
  // not an input, which the result would overwrite), the detection size, the embedding file, the photos and the
  // swapper file.
  // '-' is stdout, as for analyze's outputs: the PNG goes there in one write at the end ('| display -').
  const toStdout = o.out === '-';
  if (!toStdout) await prepareOutputFile(o.out);
  const photo = 'image' in o.source ? o.source : undefined;
  const inputs: [string, string][] = [['image', o.target]];
  if ('image' in o.source) inputs.push(['image', o.source.image]);
  else inputs.push(['embedding file', o.source.embedding]);
  if (o.swapper !== undefined) inputs.push(['swapper file', o.swapper]);
  for (const [what, input] of inputs) {
    if (!toStdout && await sameFile(o.out, input)) throw new OutputFileError(`it is the input ${what} ${input}; the result would overwrite it (give another --out)`, o.out);
  }
  // The result is always PNG: a name promising another format would hold PNG bytes under the wrong extension.
  const extension = path.extname(o.out).toLowerCase();
  if (OTHER_IMAGE_EXTENSIONS.has(extension)) throw new OutputFileError(`swap writes PNG only; name it .png (not ${extension})`, o.out);
  const detSize = parseDetSizes(o.detSize);
  const embedding = 'embedding' in o.source ? await readEmbedding(o.source.embedding) : undefined;
  // Decoded now, so a missing or broken photo is refused before the models load and compile.
  const image = await loadImage(o.target);
  const sourceImage = photo ? await loadImage(photo.image) : undefined;
  const swapperFile = await findSwapper(o.models, o.swapper);
  const swapperModel = await readSwapper(swapperFile);
  const app = await FaceAnalysis.create({ models: o.models, backend: o.backend, log: o.log });
  let swapper: INSwapper | undefined;
  try {
    app.prepare({ detSize });
    const recognizer = app.models.get('recognition');
    const dim = recognizer?.session.outputMetadata[0]?.shape[1];
    if (photo) {
      if (!recognizer) throw new ModelPackError('has no recognition model: a source photo needs one (or give --source-embedding)', o.models);
      if (typeof dim === 'number' && dim !== 512) throw new ModelPackError(`INSwapper needs a 512-d ArcFace latent; this pack's recognizer (${recognizer.file}) gives ${dim}`, o.models);
    }
    const session = await InferenceSession.fromModel(swapperModel, { backend: o.backend });
    try {
      swapper = INSwapper.fromSession(session);
    } catch (error) {
      await session.release();
      throw error;
    }
    let source: Face | Float32Array;
    if (photo) {
      const faces = byX1(await app.get(sourceImage!));
      if (faces.length === 0) throw new ImageError('the source image has no face', photo.image);
      if (photo.face >= faces.length) throw new PipelineOptionError('--source-face', `${photo.face} is out of range: ${photo.image} has ${faces.length} face(s), 0…${faces.length - 1}`);
      source = faces[photo.face]!;
    } else {
      source = embedding!;
    }
    const faces = byX1(await app.get(image));
    if (faces.length === 0) throw new ImageError('the target image has no face', o.target);
    if (o.targetFace !== 'all' && o.targetFace >= faces.length) {
      throw new PipelineOptionError('--target-face', `${o.targetFace} is out of range: ${o.target} has ${faces.length} face(s), 0…${faces.length - 1}`);
    }
    const targets = o.targetFace === 'all' ? faces : [faces[o.targetFace]!];
    let result: BgrImage;
    if (o.pasteBack) {
      result = image;
      // As InsightFace's example: each face in turn into the result so far.
      for (const face of targets) result = await swapper.get(result, face, source);
    } else {
      const crops: BgrImage[] = [];
      for (const face of targets) crops.push((await swapper.get(image, face, source, { pasteBack: false })).crop);
      result = sideBySide(crops);
    }
    if (toStdout) await writeToStdout(await encodePng(result, 'stdout'));
    else await writePng(result, o.out);
    return targets.length;
  } finally {
    await swapper?.release();
    await app.release();
  }
}

/** `insightgpu swap …`: returns the exit code. */
export async function swapCommand(argv: readonly string[]): Promise<number> {
  if (asksForHelp(argv)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const args = parseArgs(argv, ['models', 'swapper', 'source', 'source-face', 'source-embedding', 'out', 'target-face', 'det-size', 'backend'], ['no-paste-back', 'quiet']);
  const models = optionValue(args, 'models');
  if (!models) throw new PipelineOptionError('--models', 'is required (the detector and a 512-d recognizer)');
  const out = optionValue(args, 'out');
  if (!out) throw new PipelineOptionError('--out', 'is required (where to write the PNG)');
  if (args.positional.length !== 1) throw new PipelineOptionError('TARGET_IMG', `give exactly one target image, got ${args.positional.length}`);
  const sourceImage = optionValue(args, 'source');
  const sourceEmbedding = optionValue(args, 'source-embedding');
  if ((sourceImage === undefined) === (sourceEmbedding === undefined)) throw new PipelineOptionError('--source', 'give either --source IMG or --source-embedding FILE.json');
  if (sourceEmbedding !== undefined && optionValue(args, 'source-face') !== undefined) throw new PipelineOptionError('--source-face', 'goes with --source IMG');
  const backend = (optionValue(args, 'backend') ?? 'auto') as BackendName;
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new PipelineOptionError('--backend', `'${backend}' is not auto, webgpu or cpu`);
  const target = optionValue(args, 'target-face') ?? 'all';
  const quiet = args.flags.has('quiet');
  const swapped = await runSwap({
    models,
    swapper: optionValue(args, 'swapper'),
    source: sourceImage !== undefined ? { image: sourceImage, face: faceIndex(optionValue(args, 'source-face') ?? '0', '--source-face') } : { embedding: sourceEmbedding! },
    target: args.positional[0]!,
    targetFace: target === 'all' ? 'all' : faceIndex(target, '--target-face'),
    pasteBack: !args.flags.has('no-paste-back'),
    out,
    detSize: optionValue(args, 'det-size') ?? '640',
    backend,
    log: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
  });
  if (!quiet) process.stderr.write(`${swapped} face(s) swapped → ${out === '-' ? 'stdout' : out}\n`);
  return 0;
}

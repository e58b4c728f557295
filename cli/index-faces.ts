/** What `index add` and `index search` share: option parsing, the detector + recognizer, the faces of an image. */
import type { BackendName } from '../src/index.js';
import { statSync } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { systemReason, tempStem, writeTarget } from '../src/core/files-node.js';
import { withIndexFileLock } from '../src/pipeline/identity/index-file-node.js';
import path from 'node:path';
import { firstLine } from './output-file.js';
import { DEFAULT_MAX_ENTRIES } from '../src/pipeline/identity/face-index-options.js';
import { FaceAnalysis, FaceIndex, ImageError, loadImage, PipelineOptionError, type Face } from '../src/pipeline/index.js';
import { errorRecord, type ErrorRecord } from './batch/records.js';
import type { IndexBackend } from '../src/pipeline/identity/index.js';
import { CliError } from './module-command.js';
import { parseDetSizes } from '../src/pipeline/detect-size.js';
import { optionValue, parseRangeOption, type ParsedArgs } from './args.js';

/** An image `index add` was given holds no face the detector finds: that image's error entry, the others go on. */
export class NoFaceError extends Error {
  readonly code = 'NO_FACE';
  constructor(readonly image: string) {
    super(`${image}: no face found, nothing enrolled from it`);
    this.name = 'NoFaceError';
  }
}

/** Options every face-reading index sub-command takes. */
export const FACE_OPTIONS = ['index', 'models', 'backend', 'det-size', 'det-thresh'] as const;
/** Their help lines. */
export const FACE_OPTIONS_HELP = `  --index FILE            the index file
  --models DIR            a detector and a recognizer (a folder, or an installed pack name such as buffalo_l)
  --backend B             auto|webgpu|cpu, for the models and the index search (default auto)
  --det-size S            detector input, 640 or WxH (default 640); --det-thresh T (default 0.5)`;

/** The required string option, or a PipelineOptionError saying what it is for. */
export function required(args: ParsedArgs, name: string, what: string): string {
  const v = optionValue(args, name);
  if (!v) throw new PipelineOptionError(`--${name}`, `is required (${what})`);
  return v;
}

/** --backend, checked. */
export function backendOption(args: ParsedArgs): BackendName & IndexBackend {
  const backend = optionValue(args, 'backend') ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'cpu') throw new PipelineOptionError('--backend', `'${backend}' is not auto, webgpu or cpu`);
  return backend;
}

/** A detector + recognizer only (the other heads do not change an embedding), prepared from the options. */
export async function openRecognizer(args: ParsedArgs): Promise<FaceAnalysis> {
  const models = required(args, 'models', 'a folder holding a detector and a recognizer');
  // analyze's parse: an empty value ('--det-thresh=') is refused, not read as 0 (which would keep every anchor).
  const detThresh = parseRangeOption(args, 'det-thresh', 0.5, 0, 1);
  const detSize = parseDetSizes(optionValue(args, 'det-size') ?? '640');
  const app = await FaceAnalysis.create({ models, backend: backendOption(args), allowedModules: ['detection', 'recognition'] });
  if (!app.models.has('recognition')) {
    await app.release();
    throw new PipelineOptionError('--models', `${models} has no recognition model, so faces get no embedding`);
  }
  app.prepare({ detThresh, detSize });
  return app;
}

/**
 * Each image path names a file, checked before the index or the models are opened: a typo in the last of many
 * images fails now, not after the others have been read (an add then saves nothing of that work).
 */
export function checkImageFiles(images: readonly string[]): void {
  for (const image of images) {
    let isFile: boolean;
    try {
      isFile = !statSync(image).isDirectory();
    } catch {
      throw new CliError(`${image}: no such image file`);
    }
    if (!isFile) throw new CliError(`${image}: is a folder, not an image`);
  }
}

/**
 * The recognizer's embedding length, read from its output's declared shape; undefined where the graph leaves it
 * symbolic (the add or search then meets a mismatch at the first face, as FaceIndex's own check).
 */
export function embeddingLength(app: FaceAnalysis): number | undefined {
  const shape = app.models.get('recognition')?.session.outputMetadata[0]?.shape;
  const last = shape?.at(-1);
  return typeof last === 'number' && last > 0 ? last : undefined;
}

/**
 * An index and the recognizer must agree on the embedding length: checked once the models are open and before any
 * image is read, so an index made with another recognizer fails in words a user can act on.
 */
export function checkIndexMatchesModels(index: FaceIndex, app: FaceAnalysis, file: string, models: string): void {
  const dim = embeddingLength(app);
  if (index.dim === undefined || dim === undefined || dim === index.dim) return;
  throw new CliError(`${file} holds ${index.dim}-d embeddings, but the recognizer in ${models} makes ${dim}-d ones (the index was made with another recognizer)`);
}

/**
 * The file a save of `file` replaces or creates (writeTarget: symbolic links followed, a dangling one included), where
 * the write probe and the lock go: every name of one index file (the file, a link to it made before the file exists)
 * must reach one lock, or two runs through different names save over each other.
 */
async function saveTarget(file: string, what: 'write' | 'lock'): Promise<string> {
  try {
    return await writeTarget(file);
  } catch (error) {
    throw new CliError(`cannot ${what} '${file}': ${systemReason(error)}`, { cause: error }); // a loop of links
  }
}

/**
 * Whether `file` can be written where `save` will write it (beside its target, through a link), tried now by making
 * and removing a probe file there: a read-only or unwritable folder fails before the models load and the images are
 * read, not at the end with all that work lost. (Permission bits alone do not tell: root, or a read-only mount.)
 */
export async function probeWritable(file: string): Promise<void> {
  refuseSpecialFile(file);
  const target = await saveTarget(file, 'write');
  // Named as the save's temporary is (tempStem), so a name the save can write (up to 255 bytes) can be probed too.
  const probe = path.join(path.dirname(target), `.${tempStem(path.basename(target))}.${randomBytes(6).toString('hex')}.probe`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    throw new CliError(`cannot write '${file}': ${firstLine(error).replace(/, open .*$/, '')}`, { cause: error });
  }
  await unlink(probe).catch(() => undefined);
}

/**
 * Runs `work` holding FILE.lock (the library's lock, which `FaceIndex.save` takes too, so a library caller's save and
 * an `index add` never interleave their read and replace of one file); `work`'s own save of FILE takes no second one.
 */
export function withFileLock<T>(file: string, work: () => Promise<T>, waitMs?: number): Promise<T> {
  return withIndexFileLock(file, work, waitMs);
}

/** The image's faces, left to right (bbox x1). */
export async function facesOf(app: FaceAnalysis, image: string): Promise<{ faces: Face[]; width: number; height: number }> {
  const img = await loadImage(image);
  const faces = await app.get(img);
  return { faces: [...faces].sort((a, b) => a.bbox[0]! - b.bbox[0]!), width: img.width, height: img.height };
}

/**
 * The image's faces as facesOf, or, when the image itself is at fault (unreadable, corrupt, not an image: an
 * ImageError), its error record, so the run goes on with the other images as analyze's does. Any other failure (a
 * model, the device, a missing package) is no image's fault and is thrown.
 */
export async function facesOrError(app: FaceAnalysis, image: string): Promise<Awaited<ReturnType<typeof facesOf>> | ErrorRecord> {
  try {
    return await facesOf(app, image);
  } catch (error) {
    if (error instanceof ImageError) return errorRecord(image, error);
    throw error;
  }
}

/** bbox rounded to 0.01 px for printing. */
export const roundBox = (f: Face): number[] => Array.from(f.bbox, (v) => Math.round(v * 100) / 100);

/**
 * The index in `file`; CliError when there is no such file (a corrupted one is IndexFormatError). `room`: entries an
 * add may append. The bound is the library's default or, for a larger file (a library user may raise maxEntries),
 * the file's own count plus `room`: the CLI has no option to raise it, and a valid file must not be refused.
 */
export async function loadIndexFile(file: string, backend: IndexBackend = 'cpu', room = 0): Promise<FaceIndex> {
  if (!(await indexFileExists(file))) throw new CliError(`${file}: no such index file (index add creates one)`);
  if (statSync(file).isDirectory()) throw new CliError(`${file}: is a folder, not an index file`);
  refuseSpecialFile(file);
  return FaceIndex.load(file, { backend, maxEntries: Math.max(DEFAULT_MAX_ENTRIES, (await headerEntries(file)) + room) });
}

/**
 * Whether there is an index at `file`. Only ENOENT means there is none (a dangling link included: index add creates
 * the file it points to). Anything else the system answers (EACCES on the file or on a folder above it, a loop of
 * links, a name too long) is an error naming the file, and a regular file is opened for reading now: a file this run
 * cannot read is never taken for a missing index, which index add would save a new one over, or which index remove
 * would report as not there. A folder or special file counts as present; the caller refuses it in its own words.
 */
export async function indexFileExists(file: string): Promise<boolean> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw cannotReadIndex(file, error);
  }
  if (isFile) {
    try {
      await (await open(file, 'r')).close();
    } catch (error) {
      throw cannotReadIndex(file, error);
    }
  }
  return true;
}

/** The one-line error for an index file that is there but cannot be read; it says the file is not touched. */
export function cannotReadIndex(file: string, error: unknown): CliError {
  return new CliError(`cannot read index file '${file}': ${systemReason(error)} (left as it is)`, { cause: error });
}

/**
 * An index file is a regular file: it is read with positioned reads and replaced whole by a rename. A FIFO would
 * block the read until some writer came (a hang), a pipe (`<(cat F)`) cannot be read at a position, and a device
 * (/dev/null) would have a probe file made beside it in /dev: each is refused, in one line, before anything is done.
 */
function refuseSpecialFile(file: string): void {
  const info = statSync(file, { throwIfNoEntry: false });
  if (info !== undefined && !info.isFile() && !info.isDirectory()) {
    throw new CliError(`${file}: is not a regular file (a FIFO, pipe, socket or device), so it cannot be an index file`);
  }
}

/** The entry count in an index file's header (0 when the file is too short to hold one: load then says why). */
async function headerEntries(file: string): Promise<number> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(16);
    const { bytesRead } = await handle.read(header, 0, 16, 0);
    return bytesRead === 16 ? header.readUInt32LE(12) : 0;
  } finally {
    await handle.close();
  }
}

/**
 * The replica forge for Node: everything of the pure forge (forge.ts, also usable in browsers) plus writing the
 * replicas into a folder (architecture-faithful stand-ins for buffalo_l's five models, with seeded weights; see
 * catalog.ts for the list and the spec facts each one is held to).
 */
import { makeFolder } from '../fetch/fetch-common.js';
import { systemReason, writeFileAtomic } from '../../src/core/files-node.js';
import path from 'node:path';
import { InputError } from '../../src/core/errors.js';
import { describeValue } from '../../src/core/option-shape.js';
import { DEFAULT_SEED, REPLICAS, checkSeed, forgeExtraModel, forgeModel, isExtraReplica, selectForgeNames, type ForgeName } from './forge.js';
import { checkInswapperWidth } from './inswapper.js';

export {
  DEFAULT_SEED, EXTRA_REPLICA_NAMES, FORGE_VERSION, INSWAPPER_WIDTH, REPLICAS, REPLICA_NAMES, buildReplicaGraph, encodeReplica, forgeExtraModel, forgeModel,
  isExtraReplica, selectForgeNames, selectReplicas, toFloat16Model, type ExtraForgeOptions, type ExtraReplicaName, type Float16Conversion, type ForgeName,
  type ReplicaName,
} from './forge.js';

/** One step of forgeModels: a replica started, or finished and written. */
export interface ForgeProgress {
  /** The replica. */
  readonly name: ForgeName;
  /** Its position among the chosen replicas (from 0). */
  readonly index: number;
  /** How many replicas are chosen. */
  readonly total: number;
  /** Started, or written to disk. */
  readonly phase: 'start' | 'done';
  /** The file's size, once done. */
  readonly bytes?: number;
  /** Where it was written, once done. */
  readonly file?: string;
}

/** What forgeModels writes, and where. */
export interface ForgeOptions {
  /** The folder the replicas are written into (created when missing). */
  readonly outDir: string;
  /** The weights' seed (default DEFAULT_SEED); one seed always gives the same bytes. */
  readonly seed?: number;
  /** Forge only these names (default the five buffalo_l replicas). */
  readonly only?: readonly string[];
  /** inswapper_128's width (see ExtraForgeOptions); the buffalo_l replicas have none. */
  readonly width?: number;
  /** Told when each replica starts and when it is written. */
  readonly onProgress?: (p: ForgeProgress) => void;
}

/** A replica forgeModels wrote. */
export interface ForgedFile {
  /** The replica. */
  readonly name: ForgeName;
  /** Its path. */
  readonly file: string;
  /** Its size. */
  readonly bytes: number;
  /** How long forging and writing it took. */
  readonly milliseconds: number;
}

/**
 * Writes the chosen replicas into outDir, each atomically (writeFileAtomic: a fsynced temporary renamed into place,
 * removed when the write fails and swept by a later write when a run was killed; a symbolic link is written through).
 */
export async function forgeModels(options: ForgeOptions): Promise<ForgedFile[]> {
  // Every option is checked before the folder is made or a file written: a bad seed or width found at the second
  // replica would leave the first written and an --out made for nothing.
  if (options === null || typeof options !== 'object') throw new InputError(`forgeModels takes an options object, got ${describeValue(options)}`);
  if (typeof options.outDir !== 'string' || options.outDir === '') throw new InputError(`outDir must be a folder path, got ${describeValue(options.outDir)}`);
  const names = selectForgeNames(options.only);
  if (options.seed !== undefined) checkSeed(options.seed);
  if (options.width !== undefined) checkInswapperWidth(options.width);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new InputError(`onProgress must be a function, got ${describeValue(options.onProgress)}`);
  }
  await makeFolder(options.outDir); // the system's own error for a read-only or unusable --out
  const written: ForgedFile[] = [];
  for (const [index, name] of names.entries()) {
    options.onProgress?.({ name, index, total: names.length, phase: 'start' });
    const started = performance.now();
    const seed = options.seed ?? DEFAULT_SEED;
    const bytes = isExtraReplica(name) ? forgeExtraModel(name, seed, { width: options.width }) : forgeModel(name, seed);
    const file = path.join(options.outDir, isExtraReplica(name) ? `${name}.onnx` : REPLICAS[name].fileName);
    try {
      await writeFileAtomic(file, bytes);
    } catch (error) {
      // systemReason drops the system message's path, which may be the temporary's: the error names the replica.
      throw new Error(`cannot write '${file}': ${systemReason(error)}`, { cause: error });
    }
    const result = { name, file, bytes: bytes.length, milliseconds: performance.now() - started };
    written.push(result);
    options.onProgress?.({ name, index, total: names.length, phase: 'done', bytes: bytes.length, file });
  }
  return written;
}

/**
 * The replica forge for Node: everything of the pure forge (forge.ts, also usable in browsers) plus writing the
 * replicas into a folder (architecture-faithful stand-ins for buffalo_l's five models, with seeded weights; see
 * catalog.ts for the list and the spec facts each one is held to).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SEED, REPLICAS, forgeExtraModel, forgeModel, isExtraReplica, selectForgeNames, type ForgeName } from './forge.js';

export {
  DEFAULT_SEED, EXTRA_REPLICA_NAMES, FORGE_VERSION, INSWAPPER_WIDTH, REPLICAS, REPLICA_NAMES, buildReplicaGraph, encodeReplica, forgeExtraModel, forgeModel,
  isExtraReplica, selectForgeNames, selectReplicas, type ExtraForgeOptions, type ExtraReplicaName, type ForgeName, type ReplicaName,
} from './forge.js';

export interface ForgeProgress {
  readonly name: ForgeName;
  readonly index: number;
  readonly total: number;
  readonly phase: 'start' | 'done';
  readonly bytes?: number;
  readonly file?: string;
}

export interface ForgeOptions {
  readonly outDir: string;
  readonly seed?: number;
  readonly only?: readonly string[];
  /** inswapper_128's width (see ExtraForgeOptions); the buffalo_l replicas have none. */
  readonly width?: number;
  readonly onProgress?: (p: ForgeProgress) => void;
}

export interface ForgedFile {
  readonly name: ForgeName;
  readonly file: string;
  readonly bytes: number;
  readonly milliseconds: number;
}

/** Writes the chosen replicas into outDir (each file written to a temporary name, then renamed into place). */
export async function forgeModels(options: ForgeOptions): Promise<ForgedFile[]> {
  const names = selectForgeNames(options.only);
  await mkdir(options.outDir, { recursive: true });
  const written: ForgedFile[] = [];
  for (const [index, name] of names.entries()) {
    options.onProgress?.({ name, index, total: names.length, phase: 'start' });
    const started = performance.now();
    const seed = options.seed ?? DEFAULT_SEED;
    const bytes = isExtraReplica(name) ? forgeExtraModel(name, seed, { width: options.width }) : forgeModel(name, seed);
    const file = path.join(options.outDir, isExtraReplica(name) ? `${name}.onnx` : REPLICAS[name].fileName);
    const partial = `${file}.partial-${process.pid}`;
    await writeFile(partial, bytes);
    await rename(partial, file);
    const result = { name, file, bytes: bytes.length, milliseconds: performance.now() - started };
    written.push(result);
    options.onProgress?.({ name, index, total: names.length, phase: 'done', bytes: bytes.length, file });
  }
  return written;
}

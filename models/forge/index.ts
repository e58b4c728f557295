/**
 * The replica forge for Node: everything of the pure forge (forge.ts, also usable in browsers) plus writing the
 * replicas into a folder (architecture-faithful stand-ins for buffalo_l's five models, with seeded weights; see
 * catalog.ts for the list and the spec facts each one is held to).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_SEED, REPLICAS, forgeModel, selectReplicas, type ReplicaName } from './forge.js';

export { DEFAULT_SEED, FORGE_VERSION, REPLICAS, REPLICA_NAMES, buildReplicaGraph, encodeReplica, forgeModel, selectReplicas, type ReplicaName } from './forge.js';

export interface ForgeProgress {
  readonly name: ReplicaName;
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
  readonly onProgress?: (p: ForgeProgress) => void;
}

export interface ForgedFile {
  readonly name: ReplicaName;
  readonly file: string;
  readonly bytes: number;
  readonly milliseconds: number;
}

/** Writes the chosen replicas into outDir (each file written to a temporary name, then renamed into place). */
export async function forgeModels(options: ForgeOptions): Promise<ForgedFile[]> {
  const names = selectReplicas(options.only);
  await mkdir(options.outDir, { recursive: true });
  const written: ForgedFile[] = [];
  for (const [index, name] of names.entries()) {
    options.onProgress?.({ name, index, total: names.length, phase: 'start' });
    const started = performance.now();
    const bytes = forgeModel(name, options.seed ?? DEFAULT_SEED);
    const file = path.join(options.outDir, REPLICAS[name].fileName);
    const partial = `${file}.partial-${process.pid}`;
    await writeFile(partial, bytes);
    await rename(partial, file);
    const result = { name, file, bytes: bytes.length, milliseconds: performance.now() - started };
    written.push(result);
    options.onProgress?.({ name, index, total: names.length, phase: 'done', bytes: bytes.length, file });
  }
  return written;
}

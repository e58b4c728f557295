/**
 * The replica forge: architecture-faithful stand-ins for buffalo_l's five models, with seeded weights
 * (see catalog.ts for the list and the spec facts each one is held to).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../src/parser/errors.js';
import { REPLICAS, REPLICA_NAMES, type ReplicaName } from './catalog.js';
import { encodeModel, type OnnxGraphBuilder } from './onnx-writer.js';
import { Prng, hashString } from './prng.js';

export { REPLICAS, REPLICA_NAMES, type ReplicaName } from './catalog.js';

/** Bumped whenever a builder or a weight recipe changes, so cached replicas are re-forged. */
export const FORGE_VERSION = 1;
export const DEFAULT_SEED = 20240601;

/** The bytes of one replica; the same (name, seed) always gives the same bytes. */
export function forgeModel(name: ReplicaName, seed: number = DEFAULT_SEED): Uint8Array {
  return encodeReplica(name, buildReplicaGraph(name, seed), seed);
}

/** The replica's graph before encoding (e.g. to expose intermediate values as outputs for inspection). */
export function buildReplicaGraph(name: ReplicaName, seed: number = DEFAULT_SEED): OnnxGraphBuilder {
  const entry = REPLICAS[name];
  if (!entry) throw new InputError(`unknown replica '${String(name)}' (known: ${REPLICA_NAMES.join(', ')})`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`seed must be a non-negative integer, got ${seed}`);
  // One PRNG stream per model, so forging a subset gives the same files as forging all.
  return entry.build(new Prng(seed, hashString(name)));
}

export function encodeReplica(name: ReplicaName, graph: OnnxGraphBuilder, seed: number = DEFAULT_SEED): Uint8Array {
  const entry = REPLICAS[name];
  return encodeModel(graph, {
    irVersion: 6,
    opsetVersion: 11,
    producerName: 'insightgpu-forge',
    producerVersion: String(FORGE_VERSION),
    docString: `Architecture replica of InsightFace buffalo_l ${entry.fileName} with seeded random weights (seed ${seed}); not a trained model.`,
  });
}

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

/** Validates replica names (all of them when none are given), keeping the catalog's order. */
export function selectReplicas(only?: readonly string[]): ReplicaName[] {
  if (!only || only.length === 0) return [...REPLICA_NAMES];
  const wanted = new Set(only.map((n) => n.replace(/\.onnx$/, '')));
  for (const n of wanted) {
    if (!(REPLICA_NAMES as readonly string[]).includes(n)) throw new InputError(`unknown replica '${n}' (known: ${REPLICA_NAMES.join(', ')})`);
  }
  return REPLICA_NAMES.filter((n) => wanted.has(n));
}

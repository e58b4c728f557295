/**
 * The replica forge's pure part: graph building and encoding to ONNX bytes, with no file system, so browser pages
 * (the benchmark page forges replicas in a worker) can import it. Writing files and the cache live in the
 * node-only index.ts and cache.ts.
 */
import { InputError } from '../../src/core/errors.js';
import { REPLICAS, REPLICA_NAMES, type ReplicaName } from './catalog.js';
import { encodeModel, type OnnxGraphBuilder } from './onnx-writer.js';
import { DEFAULT_SEED } from './names.js';
import { Prng, hashString } from './prng.js';

export { REPLICAS, REPLICA_NAMES, type ReplicaName } from './catalog.js';
export { DEFAULT_SEED } from './names.js';

/** Bumped whenever a builder or a weight recipe changes, so cached replicas are re-forged. */
export const FORGE_VERSION = 1;

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

/** Validates replica names (all of them when none are given), keeping the catalog's order. */
export function selectReplicas(only?: readonly string[]): ReplicaName[] {
  if (!only || only.length === 0) return [...REPLICA_NAMES];
  const wanted = new Set(only.map((n) => n.replace(/\.onnx$/, '')));
  for (const n of wanted) {
    if (!(REPLICA_NAMES as readonly string[]).includes(n)) throw new InputError(`unknown replica '${n}' (known: ${REPLICA_NAMES.join(', ')})`);
  }
  return REPLICA_NAMES.filter((n) => wanted.has(n));
}

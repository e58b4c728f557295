/**
 * The replica forge's pure part: graph building and encoding to ONNX bytes, with no file system, so browser pages
 * (the benchmark page forges replicas in a worker) can import it. Writing files and the cache live in the
 * node-only index.ts and cache.ts.
 */
import { InputError } from '../../src/core/errors.js';
import { describeValue } from '../../src/core/option-shape.js';
import { REPLICAS, REPLICA_NAMES, type ReplicaEntry, type ReplicaName } from './catalog.js';
import { encodeModel, type OnnxGraphBuilder } from './onnx-writer.js';
import { buildInswapper, INSWAPPER_WIDTH } from './inswapper.js';
import { DEFAULT_SEED, EXTRA_REPLICA_NAMES, type ExtraReplicaName, type ForgeName } from './names.js';
import { Prng, hashString } from './prng.js';

export { REPLICAS, REPLICA_NAMES, type ReplicaName } from './catalog.js';
export { DEFAULT_SEED, EXTRA_REPLICA_NAMES, type ExtraReplicaName, type ForgeName } from './names.js';
export { INSWAPPER_WIDTH } from './inswapper.js';
export { toFloat16Model, type Float16Conversion } from './float16.js';

/** Bumped whenever a builder or a weight recipe changes, so cached replicas are re-forged. */
export const FORGE_VERSION = 1;

/** The bytes of one replica; the same (name, seed) always gives the same bytes. */
export function forgeModel(name: ReplicaName, seed: number = DEFAULT_SEED): Uint8Array {
  return encodeReplica(name, buildReplicaGraph(name, seed), seed);
}

/** The replica's graph before encoding (e.g. to expose intermediate values as outputs for inspection). */
export function buildReplicaGraph(name: ReplicaName, seed: number = DEFAULT_SEED): OnnxGraphBuilder {
  const entry = replicaEntry(name);
  checkSeed(seed);
  // One PRNG stream per model, so forging a subset gives the same files as forging all.
  return entry.build(new Prng(seed, hashString(name)));
}

/**
 * The catalog's entry for `name`, or an InputError: an own key only, since a plain lookup finds the prototype's
 * `constructor` or `toString` for a name from user input, and those are no replica.
 */
function replicaEntry(name: unknown): ReplicaEntry {
  if (typeof name !== 'string' || !Object.hasOwn(REPLICAS, name)) {
    throw new InputError(`unknown replica '${String(name)}' (known: ${REPLICA_NAMES.join(', ')})`);
  }
  return REPLICAS[name as ReplicaName];
}

/** A seed is a safe integer ≥ 0 (the PRNG's input); anything else is an InputError naming the value as given. */
export function checkSeed(seed: unknown): void {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InputError(`seed must be a non-negative integer, got ${describeValue(seed)}`);
  }
}

/**
 * Encodes a replica's graph as ONNX bytes with the forge's header (IR version, opset, producer, a note that the
 * weights are random).
 */
export function encodeReplica(name: ReplicaName, graph: OnnxGraphBuilder, seed: number = DEFAULT_SEED): Uint8Array {
  const entry = replicaEntry(name);
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
  checkNameList(only);
  if (!only || only.length === 0) return [...REPLICA_NAMES];
  const wanted = new Set(only.map((n) => n.replace(/\.onnx$/, '')));
  for (const n of wanted) {
    if (!(REPLICA_NAMES as readonly string[]).includes(n)) throw new InputError(`unknown replica '${n}' (known: ${REPLICA_NAMES.join(', ')})`);
  }
  return REPLICA_NAMES.filter((n) => wanted.has(n));
}

/** Options of the models outside buffalo_l. */
export interface ExtraForgeOptions {
  /** inswapper_128's channel width: 1024 is the real model's, smaller multiples of 8 give cheap test variants. */
  readonly width?: number;
}

/** The bytes of a replica outside buffalo_l (see EXTRA_REPLICA_NAMES); deterministic in (name, seed, width). */
export function forgeExtraModel(name: ExtraReplicaName, seed: number = DEFAULT_SEED, options: ExtraForgeOptions = {}): Uint8Array {
  if (!(EXTRA_REPLICA_NAMES as readonly string[]).includes(name)) throw new InputError(`unknown replica '${String(name)}' (known: ${EXTRA_REPLICA_NAMES.join(', ')})`);
  checkSeed(seed);
  if (options === null || typeof options !== 'object') throw new InputError(`forgeExtraModel's options must be an object, got ${describeValue(options)}`);
  const width = options.width ?? INSWAPPER_WIDTH;
  const graph = buildInswapper(new Prng(seed, hashString(name)), width);
  return encodeModel(graph, {
    irVersion: 6,
    opsetVersion: 11,
    producerName: 'insightgpu-forge',
    producerVersion: String(FORGE_VERSION),
    docString: `Architecture replica of InsightFace inswapper_128.onnx at width ${width} with seeded random weights (seed ${seed}); not a trained model.`,
  });
}

/** Whether `name` is a replica outside buffalo_l (inswapper_128). */
export function isExtraReplica(name: string): name is ExtraReplicaName {
  return (EXTRA_REPLICA_NAMES as readonly string[]).includes(name);
}

/**
 * Validates names for `forge-models --only`: buffalo_l's replicas and the extra ones, in catalog order. With no
 * names, buffalo_l's five.
 */
export function selectForgeNames(only?: readonly string[]): ForgeName[] {
  checkNameList(only);
  if (!only || only.length === 0) return [...REPLICA_NAMES];
  const wanted = new Set(only.map((n) => n.replace(/\.onnx$/, '')));
  const known: readonly string[] = [...REPLICA_NAMES, ...EXTRA_REPLICA_NAMES];
  for (const n of wanted) if (!known.includes(n)) throw new InputError(`unknown replica '${n}' (known: ${known.join(', ')})`);
  return [...REPLICA_NAMES, ...EXTRA_REPLICA_NAMES].filter((n) => wanted.has(n));
}

/** `only` is undefined or an array of names; a bare string or a number in it is an InputError, not a TypeError. */
function checkNameList(only: unknown): void {
  if (only === undefined || (Array.isArray(only) && only.every((n) => typeof n === 'string'))) return;
  throw new InputError(`only must be an array of replica names, got ${describeValue(only)}`);
}

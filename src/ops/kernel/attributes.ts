import { GraphError } from '../../core/errors.js';
import { nodeLabel, type Attribute, type Node, type TensorData } from '../../core/ir.js';

function fail(node: Node, why: string): never {
  throw new GraphError(why, nodeLabel(node), node.opType);
}

function get<K extends Attribute['kind']>(node: Node, name: string, kind: K): Extract<Attribute, { kind: K }> | undefined {
  const a = node.attributes.get(name);
  if (a === undefined) return undefined;
  if (a.kind !== kind) fail(node, `attribute '${name}' should be ${kind}, found ${a.kind}`);
  return a as Extract<Attribute, { kind: K }>;
}

export function attrInt(node: Node, name: string, fallback: number): number {
  return get(node, name, 'int')?.value ?? fallback;
}

export function attrFloat(node: Node, name: string, fallback: number): number {
  const a = node.attributes.get(name);
  if (a?.kind === 'int') return a.value; // some exporters write integral floats as ints
  return get(node, name, 'float')?.value ?? fallback;
}

export function attrString(node: Node, name: string, fallback: string): string {
  return get(node, name, 'string')?.value ?? fallback;
}

export function attrInts(node: Node, name: string): readonly number[] | undefined {
  return get(node, name, 'ints')?.value;
}

export function attrFloats(node: Node, name: string): readonly number[] | undefined {
  return get(node, name, 'floats')?.value;
}

export function attrTensor(node: Node, name: string): TensorData | undefined {
  return get(node, name, 'tensor')?.value;
}

/**
 * GraphError when the node carries one of `names`, attributes its op dropped at opset `removedAt` (they became
 * inputs there): reading only the inputs would ignore what the attribute says (a ReduceMean with an axes attribute
 * at opset 18 would reduce every axis), and onnxruntime refuses such a model at load.
 */
export function refuseRemovedAttributes(node: Node, opset: number, removedAt: number, names: readonly string[]): void {
  if (opset < removedAt) return;
  const present = names.filter((name) => node.attributes.has(name));
  if (present.length > 0) {
    fail(node, `attribute${present.length > 1 ? 's' : ''} ${present.map((n) => `'${n}'`).join(', ')} ${present.length > 1 ? 'are inputs' : 'is an input'} from opset ${removedAt}, the model has ${opset}`);
  }
}

/**
 * GraphError when the node carries one of `names`, attributes its op gained at opset `addedAt`, in a model of an older
 * opset: the op of that opset has no such attribute (so honouring it would run a newer op), and onnxruntime refuses
 * such a model at load.
 */
export function refuseLaterAttributes(node: Node, opset: number, addedAt: number, names: readonly string[]): void {
  if (opset >= addedAt) return;
  const present = names.filter((name) => node.attributes.has(name));
  if (present.length > 0) {
    fail(node, `attribute${present.length > 1 ? 's' : ''} ${present.map((n) => `'${n}'`).join(', ')} need${present.length > 1 ? '' : 's'} opset ${addedAt}, the model has ${opset}`);
  }
}

/** Normalises a possibly negative axis against a rank, failing with the node's context. */
export function normalizeAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}


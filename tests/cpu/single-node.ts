/** One-node float32 models run on the cpu backend and on onnxruntime-node (x a graph input, the rest initializers). */
import * as ort from 'onnxruntime-node';
import { InferenceSession, Tensor } from '../../src/index.js';
import { buildModel, DT, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';
import { seededUniform } from '../parity/parity.js';

export interface SingleNode {
  readonly op: string;
  readonly dims: readonly number[];
  readonly attributes?: Record<string, AttrValue>;
  /** Initializer inputs after x, in order; undefined leaves the optional input out (''). */
  readonly extra?: readonly ({ type: 'float32' | 'int64'; values: readonly number[]; dims?: readonly number[] } | undefined)[];
  readonly opset: number;
  /** Values of x (default seeded uniform in [-2, 2)). */
  readonly data?: Float32Array;
}

export function model(c: SingleNode): Uint8Array {
  const extra = c.extra ?? [];
  const names = extra.map((e, i) => (e ? `in${i + 1}` : ''));
  while (names.length > 0 && names[names.length - 1] === '') names.pop();
  return buildModel({
    nodes: [node(c.op, ['x', ...names], ['y'], c.attributes ?? {})],
    inputs: [valueInfo('x', DT.FLOAT, c.dims)],
    outputs: [valueInfo('y', DT.FLOAT, undefined)],
    initializers: extra.flatMap((e, i) => (e ? [tensor(`in${i + 1}`, e.type, e.dims ?? [e.values.length], e.values)] : [])),
    opsets: { '': c.opset },
  });
}

function input(c: SingleNode): Float32Array {
  return c.data ?? seededUniform(c.dims.reduce((a, b) => a * b, 1), 7 + c.dims.length, -2, 2);
}

export async function ours(c: SingleNode): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await InferenceSession.create(model(c), { backend: 'cpu' });
  try {
    const y = (await session.run({ x: new Tensor('float32', input(c), c.dims) }))['y']!;
    return { dims: y.dims, data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

export async function reference(c: SingleNode): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const session = await ort.InferenceSession.create(model(c));
  try {
    const y = (await session.run({ x: new ort.Tensor('float32', input(c), [...c.dims]) }))['y']!;
    return { dims: y.dims, data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

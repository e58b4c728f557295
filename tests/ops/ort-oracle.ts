/**
 * Runs one single-node ONNX model through this engine's CPU backend and through onnxruntime-node, and says how the
 * two differ. Integer, bool and index results must be equal; float results agree when the max-abs difference over the
 * max-abs of onnxruntime's result is within FLOAT_TOLERANCE, with NaN where onnxruntime has NaN.
 */
import * as ort from 'onnxruntime-node';
import { GraphError, InferenceSession, Tensor, UnsupportedOpError, type DataType, type SessionOptions } from '../../src/index.js';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { buildModel, node, valueInfo, type AttrValue } from '../parser/onnx-builder.js';

/** Relative tolerance for float outputs: max |ours - ort| / max |ort|. */
export const FLOAT_TOLERANCE = 1e-4;

const CODE: Readonly<Record<DataType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

/** One node input: fed at run time, or an initializer when `init` is set. */
export interface OracleInput {
  readonly name: string;
  readonly type: DataType;
  readonly dims: readonly number[];
  readonly values: readonly (number | bigint)[];
  readonly init?: boolean;
}

export interface OracleCase {
  readonly op: string;
  readonly opset: number;
  readonly attrs?: Record<string, AttrValue>;
  /** Node inputs in order; '' leaves an optional input out. */
  readonly inputs: readonly (OracleInput | '')[];
  readonly outputs?: number;
  /** Each output's element type, for the graph's value_info; the first input's when left out. */
  readonly outTypes?: readonly DataType[];
}

function typed(type: DataType, raw: readonly (number | bigint)[]): Tensor['data'] {
  const values = raw.map(Number);
  switch (type) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int8': return Int8Array.from(values);
    case 'uint8': case 'bool': return Uint8Array.from(values);
    case 'int16': return Int16Array.from(values);
    // float16 values are given and compared as raw bits.
    case 'uint16': case 'float16': return Uint16Array.from(values);
    case 'int32': return Int32Array.from(values);
    case 'uint32': return Uint32Array.from(values);
    case 'int64': return BigInt64Array.from(raw.map((v) => BigInt(v)));
    case 'uint64': return BigUint64Array.from(raw.map((v) => BigInt(v)));
    default: throw new Error(`no test data for ${type}`);
  }
}

function initializer(i: OracleInput): OnnxTypes.ITensorProto {
  const data = typed(i.type, i.values);
  return { name: i.name, dims: [...i.dims], dataType: CODE[i.type], rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function oracleModel(c: OracleCase): Uint8Array {
  const present = c.inputs.filter((i): i is OracleInput => i !== '');
  const outputs = Array.from({ length: c.outputs ?? 1 }, (_, k) => `y${k}`);
  return buildModel({
    opsets: { '': c.opset },
    inputs: present.filter((i) => !i.init).map((i) => valueInfo(i.name, CODE[i.type], i.dims)),
    outputs: outputs.map((o, k) => valueInfo(o, CODE[c.outTypes?.[k] ?? present[0]!.type], undefined)),
    initializers: present.filter((i) => i.init).map(initializer),
    nodes: [node(c.op, c.inputs.map((i) => (i === '' ? '' : i.name)), outputs, c.attrs ?? {})],
  });
}

/** What a comparison found: agreement, a difference, or our typed refusal at load. */
export type OracleVerdict =
  | { readonly kind: 'equal' }
  | { readonly kind: 'both-refuse' }
  | { readonly kind: 'refused'; readonly why: string }
  /** onnxruntime refuses the model (an invalid model, or one its CPU kernels lack) and this engine runs it. */
  | { readonly kind: 'ort-refuses'; readonly why: string }
  | { readonly kind: 'differs'; readonly why: string };

function toNumbers(data: ArrayLike<number | bigint>): number[] {
  return Array.from(data, (v) => Number(v));
}

function compareOne(type: string, ourType: string, ourDims: readonly number[], ourData: ArrayLike<number | bigint>, ortDims: readonly number[], ortData: ArrayLike<number | bigint>): string | undefined {
  if (ourType !== type) return `type ${ourType}, ort ${type}`;
  if (ourDims.join() !== ortDims.join()) return `dims [${ourDims}], ort [${ortDims}]`;
  const got = toNumbers(ourData);
  const want = toNumbers(ortData);
  if (type === 'float32' || type === 'float64') {
    let maxRef = 0;
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) {
      const w = want[i]!;
      const g = got[i]!;
      if (Number.isNaN(w) !== Number.isNaN(g)) return `element ${i}: ${g}, ort ${w}`;
      if (Number.isNaN(w)) continue;
      if (!Number.isFinite(w) || !Number.isFinite(g)) {
        if (w !== g) return `element ${i}: ${g}, ort ${w}`;
        continue;
      }
      maxRef = Math.max(maxRef, Math.abs(w));
      maxDiff = Math.max(maxDiff, Math.abs(w - g));
    }
    // An all-zero reference needs an exact match; otherwise the relative rule.
    if (maxRef === 0 ? maxDiff !== 0 : maxDiff / maxRef > FLOAT_TOLERANCE) return `max-abs diff ${maxDiff} over max-abs ${maxRef}: ours [${got.slice(0, 24)}] ort [${want.slice(0, 24)}]`;
    return undefined;
  }
  // Exact: int64 elements as bigints (their Number would round beyond 2^53).
  const exact = (data: ArrayLike<number | bigint>): string[] => Array.from(data, (v) => String(v));
  const [g, w] = [exact(ourData), exact(ortData)];
  const bad = w.findIndex((v, i) => v !== g[i]);
  return bad < 0 ? undefined : `element ${bad}: ours [${g.slice(0, 24)}] ort [${w.slice(0, 24)}]`;
}

/** Runs `c` on both engines and compares every output; ours on the cpu backend unless `options` say otherwise. */
export async function compareWithOrt(c: OracleCase, options: SessionOptions = { backend: 'cpu' }): Promise<OracleVerdict> {
  const bytes = oracleModel(c);
  const feeds = c.inputs.filter((i): i is OracleInput => i !== '' && !i.init);
  let want: ort.InferenceSession.ReturnType | undefined;
  let ortError: string | undefined;
  try {
    const peer = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4 });
    want = await peer.run(Object.fromEntries(feeds.map((f) => [f.name, new ort.Tensor(f.type as 'float32', typed(f.type, f.values) as Float32Array, [...f.dims])])));
    await peer.release();
  } catch (e) {
    ortError = (e as Error).message;
  }
  let ours: InferenceSession;
  try {
    ours = await InferenceSession.create(bytes, options);
  } catch (e) {
    if (want === undefined) return { kind: 'both-refuse' };
    if (e instanceof UnsupportedOpError || e instanceof GraphError) return { kind: 'refused', why: `${(e as Error).name}: ${(e as Error).message}` };
    return { kind: 'differs', why: `load threw ${(e as Error).name}: ${(e as Error).message}` };
  }
  try {
    const got = await ours.run(Object.fromEntries(feeds.map((f) => [f.name, new Tensor(f.type, typed(f.type, f.values), f.dims)])));
    if (want === undefined) return { kind: 'ort-refuses', why: ortError?.slice(0, 200) ?? '' };
    for (const [name, w] of Object.entries(want)) {
      const g = got[name];
      if (g === undefined) return { kind: 'differs', why: `no output ${name}` };
      const why = compareOne(w.type, g.type, g.dims, g.data as ArrayLike<number>, w.dims, w.data as ArrayLike<number>);
      if (why !== undefined) return { kind: 'differs', why: `${name}: ${why}` };
    }
    return { kind: 'equal' };
  } catch (e) {
    if (want === undefined) return { kind: 'both-refuse' };
    return { kind: 'differs', why: `run threw ${(e as Error).name}: ${(e as Error).message}` };
  } finally {
    await ours.release();
  }
}

/** Float test data: distinct, signed, not too regular. */
export function ramp(n: number, scale = 0.37, offset = -0.5): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(((i * 7919) % 101) * scale * 100 + offset * 100 * n / 10) / 100);
}

export function f32(name: string, dims: readonly number[], values?: readonly number[], init = false): OracleInput {
  return { name, type: 'float32', dims, values: values ?? ramp(dims.reduce((a, b) => a * b, 1)), init };
}

export function i64(name: string, dims: readonly number[], values: readonly (number | bigint)[], init = true): OracleInput {
  return { name, type: 'int64', dims, values, init };
}

/**
 * Case builders for the edge-attribute tests against onnxruntime (ort-edges*.test.ts): one small model per op and
 * attribute combination, with seeded inputs and weights.
 */
import assert from 'node:assert/strict';
import { compareWithOrt, oneNode, seeded, type Feed } from './ort-edge-check.js';
import { DT, buildModel, node, tensor, valueInfo, type AttrValue } from '../parser/onnx-builder.js';
import { Prng } from '../../models/forge/prng.js';

/** max |ours − onnxruntime| / max |onnxruntime|, for float results. */
export const FLOAT_TOLERANCE = 1e-4;

export type Init = ReturnType<typeof tensor>;
export type Attrs = Record<string, AttrValue>;
export interface Case { readonly name: string; readonly bytes: Uint8Array; readonly feeds: Record<string, Feed>; readonly exact?: boolean }

export const weights = (name: string, dims: number[], seed: number, lo = -1, hi = 1): Init =>
  tensor(name, 'float32', dims, [...new Prng(seed).fillRange(dims.reduce((a, d) => a * d, 1), lo, hi)]);
export const i64 = (name: string, values: number[], dims = [values.length]): Init => tensor(name, 'int64', dims, values);
export const f32 = (name: string, values: number[], dims = [values.length]): Init => tensor(name, 'float32', dims, values);
export const ints = (...v: number[]): AttrValue => ({ ints: v });

export function single(name: string, op: string, shapes: number[][], attrs: Attrs = {}, inits: Init[] = [], extra: string[] = [], opset = 17, exact = false): Case {
  return { name, bytes: oneNode(op, [...shapes, ...extra], attrs, inits, opset), feeds: Object.fromEntries(shapes.map((d, i) => [`x${i}`, seeded(d, 11 + i)])), exact };
}

export function conv(name: string, x: number[], w: number[], attrs: Attrs = {}, bias = true): Case {
  return single(name, 'Conv', [x], attrs, [weights('W', w, 3), ...(bias ? [weights('B', [w[0]!], 4)] : [])], ['W', ...(bias ? ['B'] : [])]);
}

/** Several nodes (a pattern the graph passes fuse), float inputs. */
export function graph(name: string, inputs: [string, number[]][], nodes: ReturnType<typeof node>[], inits: Init[]): Case {
  return {
    name, feeds: Object.fromEntries(inputs.map(([n, d], i) => [n, seeded(d, 21 + i)])),
    bytes: buildModel({ opsets: { '': 17 }, inputs: inputs.map(([n, d]) => valueInfo(n, DT.FLOAT, d)), outputs: [valueInfo('y0', DT.FLOAT, undefined)], initializers: inits, nodes }),
  };
}

export const pads = (...p: number[]): Attrs => ({ pads: ints(...p) });

/** Fails with every run's detail unless all four agree with onnxruntime within the case's bound. */
export async function expectOrt(c: Case): Promise<void> {
  const r = await compareWithOrt(c.bytes, c.feeds);
  const bound = c.exact ? 0 : FLOAT_TOLERANCE;
  const worst = Math.max(r.cpu, r.specialized, r.generic, r.hardware);
  assert.ok(worst <= bound, `relative error cpu ${r.cpu}, specialised ${r.specialized}, generic ${r.generic}, hardware variants ${r.hardware} (bound ${bound})\n${r.detail}`);
}

/**
 * Seeded random Pad and Reduce* nodes (any rank up to 4 with empty axes, every dtype, stray and hostile attributes,
 * pads/axes/constant_value inputs of the wrong type, length or value, every opset that changed these ops): each
 * must resolve and run on its CPU reference and, where it has a WGSL lowering, lower in both tiers, or be refused
 * with one of the engine's typed errors; never a TypeError/RangeError.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InsightGpuError } from '../../src/core/errors.js';
import { allocateTyped, elementCount, type Attribute, type DataType, type Node, type TensorData } from '../../src/core/ir.js';
import { ShapeValues } from '../../src/ops/kernel/shape-values.js';
import { findGpuKernel, findOpModule } from '../../src/ops/registry.js';
import { Prng } from '../../models/forge/prng.js';

const OPS = ['Pad', ...['Sum', 'Mean', 'Max', 'Min', 'Prod', 'SumSquare', 'L1', 'L2', 'LogSum', 'LogSumExp'].map((k) => `Reduce${k}`)];
const TYPES: readonly DataType[] = ['float32', 'float64', 'float16', 'int8', 'uint8', 'int32', 'uint32', 'int64', 'bool'];
const CASES = 4000;

test(`random Pad and Reduce* nodes (${CASES}) run, lower or are refused with typed errors`, () => {
  const prng = new Prng(20261201);
  const below = (n: number): number => Math.floor(prng.uniform() * n);
  const pick = <T>(values: readonly T[]): T => values[below(values.length)]!;
  const odd = (): number => pick([0, 1, -1, 2, -2, 3, 5, -7, 100, 1e9, -1e9, 2 ** 40, NaN, Infinity, 0.5]);
  const counts = { ran: 0, refused: 0 };
  const untyped: string[] = [];
  for (let c = 0; c < CASES; c++) {
    const op = pick(OPS);
    const dims = Array.from({ length: below(5) }, () => pick([0, 1, 2, 3, 4]));
    const type = pick(TYPES);
    const x: TensorData = { type, dims, data: allocateTyped(type, elementCount(dims)) };
    const attributes = new Map<string, Attribute>();
    if (prng.uniform() < 0.5) attributes.set('mode', { kind: 'string', value: pick(['constant', 'reflect', 'edge', 'wrap', 'mirror']) });
    if (prng.uniform() < 0.3) attributes.set('pads', { kind: 'ints', value: Array.from({ length: below(9) }, odd) });
    if (prng.uniform() < 0.3) attributes.set('value', { kind: 'float', value: odd() });
    if (prng.uniform() < 0.4) attributes.set('axes', prng.uniform() < 0.9 ? { kind: 'ints', value: Array.from({ length: below(4) }, odd) } : { kind: 'float', value: 1 });
    if (prng.uniform() < 0.4) attributes.set('keepdims', { kind: 'int', value: odd() });
    if (prng.uniform() < 0.3) attributes.set('noop_with_empty_axes', { kind: 'int', value: odd() });
    const inputs: (TensorData | undefined)[] = [x];
    for (let i = 1, n = 1 + below(4); i < n; i++) {
      if (prng.uniform() < 0.2) { inputs.push(undefined); continue; }
      const values = Array.from({ length: below(10) }, odd);
      const t = pick(['int64', 'int32', 'float32'] as const);
      const data = t === 'int64' ? BigInt64Array.from(values.map((v) => BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)))
        : t === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
      inputs.push({ type: t, dims: prng.uniform() < 0.8 ? [values.length] : [], data });
    }
    const node: Node = { index: c, name: `case${c}`, opType: op, domain: '', inputs: inputs.map((t, i) => (t ? `in${i}` : '')), outputs: ['y'], attributes };
    const module = findOpModule(op)!;
    const opset = pick([2, 11, 13, 17, 18, 19]);
    try {
      const valueTypes = inputs.map((t) => t && { type: t.type, dims: t.dims });
      // Inputs after the data are load-time constants, as in real models.
      const constants = inputs.map((t, i) => (i === 0 ? undefined : t));
      const resolved = module.resolve({ node, opset, inputs: valueTypes, constants });
      // The session refuses outputs past MAX_TENSOR_ELEMENTS before running them; keep the runs small here.
      if (resolved.outputs.some((o) => elementCount(o.dims) > 1 << 16 || o.dims.some((d) => d > 1 << 16))) { counts.refused++; continue; }
      module.cpu(resolved.params, inputs, resolved.outputs);
      for (const generic of [false, true]) {
        findGpuKernel(op)?.lower({
          node, params: resolved.params, inputs: valueTypes, outputs: resolved.outputs, constants, maxWorkgroupsPerDimension: 65535,
          software: generic, shape: generic ? ShapeValues.uniform() : ShapeValues.literal(),
        });
      }
      counts.ran++;
    } catch (error) {
      if (error instanceof InsightGpuError) counts.refused++;
      else untyped.push(`${op} opset ${opset} ${type}[${dims.join(',')}] ${JSON.stringify([...attributes])}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  assert.deepEqual(untyped.slice(0, 5), []);
  // The generator must reach both outcomes in earnest, or it tests nothing.
  assert.ok(counts.ran > CASES / 10 && counts.refused > CASES / 10, JSON.stringify(counts));
});

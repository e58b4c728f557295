/**
 * Float16 model files (float16 initializers, Cast to FLOAT16 after the inputs and to FLOAT before the outputs, as
 * onnxconverter-common's `convert_float_to_float16` writes them) run on the float32 kernels of every backend once
 * this pass has widened them, so no backend ever sees float16 data:
 * - float16 initializers and tensor attributes (Constant, ConstantOfShape values) become float32, exactly;
 * - a Cast to FLOAT16 becomes `RoundToFloat16`, which keeps float32 but rounds to the nearest float16 value, so the
 *   values at the casts are what a float16 engine holds there (inputs rounded, ±∞ past 65504); between the casts
 *   every op computes in float32, which is closer to the float32 model than a float16 engine is;
 * - a Cast to FLOAT of a widened value is then float32 → float32, an identity;
 * - a graph input or output the file declares float16 stays float16 (raw Uint16Array bits, as fed and returned):
 *   a Cast to float32 follows such an input and a Cast to float16 precedes such an output.
 * bfloat16 is left alone, so the ops that meet it refuse it as before.
 */
import { widenFloat16Bits } from '../core/float16.js';
import type { Attribute, Graph, Model, Node, TensorData, ValueInfo } from '../core/ir.js';
import { ENGINE_DOMAIN } from '../ops/kernel/op-module.js';

const FLOAT16 = 10;
const FLOAT = 1;

const isHalf = (t: TensorData): boolean => t.type === 'float16';
const widen = (t: TensorData): TensorData => (isHalf(t) ? { type: 'float32', dims: t.dims, data: widenFloat16Bits(t.data as Uint16Array) } : t);
const castsToHalf = (node: Node): boolean => {
  const to = node.attributes.get('to');
  return node.opType === 'Cast' && (node.domain === '' || node.domain === 'ai.onnx') && to?.kind === 'int' && to.value === FLOAT16;
};
const hasHalfTensor = (node: Node): boolean => [...node.attributes.values()].some((a) => a.kind === 'tensor' && isHalf(a.value));
const halfDeclared = (v: ValueInfo): boolean => v.type === 'float16';

/** Whether the model holds any float16 data, cast or declaration that `widenFloat16` would change. */
export function hasFloat16(model: Model): boolean {
  const g = model.graph;
  return [...g.initializers.values()].some(isHalf) || g.nodes.some((n) => castsToHalf(n) || hasHalfTensor(n))
    || g.inputs.some(halfDeclared) || g.outputs.some(halfDeclared) || [...g.valueInfo.values()].some(halfDeclared);
}

/** The model with its float16 region widened to float32 (see the module comment); the same object when it has none. */
export function widenFloat16(model: Model): Model {
  if (!hasFloat16(model)) return model;
  const g = model.graph;
  const taken = new Set<string>([...g.initializers.keys(), ...g.inputs.map((v) => v.name), ...g.nodes.flatMap((n) => [...n.inputs, ...n.outputs])]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  // A float16 input is read through its widened copy; a float16 output is written under a new name, then narrowed.
  const rename = new Map<string, string>();
  const before: Node[] = [];
  const after: Node[] = [];
  for (const input of g.inputs.filter(halfDeclared)) {
    const wide = fresh(`${input.name}/float32`);
    rename.set(input.name, wide);
    before.push(castNode(fresh(`${input.name}/widen`), input.name, wide, FLOAT));
  }
  for (const output of g.outputs.filter(halfDeclared)) {
    // An output that is a float16 input passes through as fed. One that is a float16 initializer is renamed with it
    // (the widened initializer is narrowed back), so it comes back float16 as declared, not widened; an initializer
    // of another type is left as it is, for the session to refuse the mismatch.
    const initializer = g.initializers.get(output.name);
    if (rename.has(output.name) || (initializer && !isHalf(initializer))) continue;
    const wide = fresh(`${output.name}/float32`);
    rename.set(output.name, wide);
    after.push(castNode(fresh(`${output.name}/narrow`), wide, output.name, FLOAT16));
  }
  const renamed = (name: string): string => rename.get(name) ?? name;
  const body = g.nodes.map((node): Node => {
    const inputs = node.inputs.map(renamed);
    const outputs = node.outputs.map(renamed);
    if (castsToHalf(node)) return { ...node, opType: 'RoundToFloat16', domain: ENGINE_DOMAIN, inputs, outputs, attributes: new Map() };
    const attributes = hasHalfTensor(node)
      ? new Map([...node.attributes].map(([k, a]): [string, Attribute] => [k, a.kind === 'tensor' ? { kind: 'tensor', value: widen(a.value) } : a]))
      : node.attributes;
    return { ...node, inputs, outputs, attributes };
  });
  const nodes = [...before, ...body, ...after].map((node, index) => ({ ...node, index }));
  const initializers = new Map([...g.initializers].map(([k, t]) => [renamed(k), widen(t)]));
  const valueInfo = new Map([...g.valueInfo].map(([k, v]): [string, ValueInfo] => [renamed(k), { ...v, name: renamed(k), type: halfDeclared(v) ? 'float32' : v.type }]));
  const graph: Graph = { ...g, nodes, initializers, valueInfo };
  return { ...model, graph };
}

function castNode(name: string, input: string, output: string, to: number): Node {
  return { index: 0, name, opType: 'Cast', domain: '', inputs: [input], outputs: [output], attributes: new Map([['to', { kind: 'int', value: to }]]) };
}

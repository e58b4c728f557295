import { elementCount, type TensorData } from '../core/ir.js';
import type { GemmParams } from '../ops/gemm/cpu.js';
import type { InstanceNormParams } from '../ops/instance-norm/cpu.js';
import type { SliceParams } from '../ops/slice/cpu.js';
import type { PlannedStep } from './specialize.js';
import type { GraphEditor } from './editor.js';

/** Reshape-family steps relabel their input's elements without moving them. */
const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

/** γ is input 1 of an InstanceNormalization step, β input 2. */
const AFFINE_INPUTS = [1, 2] as const;
const offsetKey = (input: 1 | 2): 'gammaOffset' | 'betaOffset' => (input === 1 ? 'gammaOffset' : 'betaOffset');

/**
 * INSwapper's identity injection computes each residual unit's γ and β with a Gemm on `source`, then views them
 * through Unsqueezes and channel Slices. Two rewrites remove that work from every call:
 * 1. an instance norm reads γ and β straight from the tensor the views start from, at an element offset, when the
 *    views are contiguous runs of it (the Slices and Unsqueezes then have no reader left and drop out);
 * 2. Gemms that read the same single-row input, with constant weights and bias, and whose outputs only instance
 *    norms read, become one Gemm over the concatenated weights, each norm pointed at its columns: the 12 style
 *    Gemms of INSwapper are then one GEMM per call.
 */
export function mergeAffineGemms(editor: GraphEditor): void {
  foldAffineViews(editor);
  dropUnreadViews(editor);
  mergeSharedInputGemms(editor);
}

/** Views and Slices nothing reads any more (after the folding), so that a Gemm's remaining readers are the norms. */
function dropUnreadViews(editor: GraphEditor): void {
  for (let changed = true; changed;) {
    changed = false;
    editor.steps.forEach((step, i) => {
      if (!step || !(VIEWS.has(step.node.opType) || step.node.opType === 'Slice')) return;
      if (step.outputs.some((o) => o !== '' && (editor.isGraphOutput(o) || editor.consumers(o).length > 0))) return;
      editor.steps[i] = null;
      changed = true;
    });
  }
}

function foldAffineViews(editor: GraphEditor): void {
  editor.steps.forEach((step, i) => {
    if (step?.node.opType !== 'InstanceNormalization') return;
    let params = step.params as InstanceNormParams;
    const inputs = [...step.inputs];
    for (const input of AFFINE_INPUTS) {
      const traced = traceView(editor, inputs[input]!);
      if (!traced || traced.value === inputs[input]) continue;
      inputs[input] = traced.value;
      params = { ...params, [offsetKey(input)]: params[offsetKey(input)] + traced.offset };
    }
    editor.steps[i] = { ...step, inputs, params };
  });
}

/** The value a chain of contiguous views of `name` starts from, and where `name`'s first element sits in it. */
function traceView(editor: GraphEditor, name: string): { value: string; offset: number } | undefined {
  let value = name;
  let offset = 0;
  for (;;) {
    const k = editor.producer(value);
    const step = k === undefined ? undefined : editor.steps[k]!;
    if (!step) return { value, offset };
    if (VIEWS.has(step.node.opType)) { value = step.inputs[0]!; continue; }
    if (step.node.opType === 'Slice') {
      const start = contiguousStart(step.params as SliceParams);
      if (start === undefined) return { value, offset };
      offset += start;
      value = step.inputs[0]!;
      continue;
    }
    return { value, offset };
  }
}

/** The flat element offset of a Slice whose output is one contiguous run of its input, else undefined. */
function contiguousStart(p: SliceParams): number | undefined {
  if (p.steps.some((s) => s !== 1)) return undefined;
  const rank = p.inDims.length;
  // Contiguous: every axis before the first one that is cut has a single index, every axis after it is whole.
  let cut = -1;
  for (let a = 0; a < rank; a++) {
    if (p.outDims[a] !== p.inDims[a]) { cut = a; break; }
  }
  if (cut < 0) return 0;
  for (let a = 0; a < cut; a++) if (p.outDims[a] !== 1) return undefined;
  for (let a = cut + 1; a < rank; a++) if (p.outDims[a] !== p.inDims[a]) return undefined;
  let offset = 0;
  let stride = 1;
  for (let a = rank - 1; a >= 0; a--) { offset += p.starts[a]! * stride; stride *= p.inDims[a]!; }
  return offset;
}

interface Mergeable {
  readonly at: number;
  readonly step: PlannedStep<GemmParams>;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

function mergeSharedInputGemms(editor: GraphEditor): void {
  const groups = new Map<string, Mergeable[]>();
  editor.steps.forEach((step, at) => {
    const m = step && mergeable(editor, step, at);
    if (!m) return;
    const key = `${step.inputs[0]}|${m.step.params.k}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  });
  for (const [key, group] of groups) {
    if (group.length < 2) continue;
    const k = group[0]!.step.params.k;
    const n = group.reduce((sum, g) => sum + g.step.params.n, 0);
    const weights = new Float32Array(n * k);
    const bias = new Float32Array(n);
    const merged = editor.freshName(`${group[0]!.step.outputs[0]}#merged`);
    let column = 0;
    for (const g of group) {
      weights.set(g.weights, column * k);
      bias.set(g.bias, column);
      for (const r of editor.consumers(g.step.outputs[0]!)) {
        const reader = editor.steps[r]!;
        let params = reader.params as InstanceNormParams;
        const inputs = reader.inputs.map((name, index) => {
          if (name !== g.step.outputs[0]) return name;
          const slot = index as 1 | 2;
          params = { ...params, [offsetKey(slot)]: params[offsetKey(slot)] + column };
          return merged;
        });
        editor.steps[r] = { ...reader, inputs, params };
      }
      editor.steps[g.at] = null;
      column += g.step.params.n;
    }
    const first = group[0]!.step;
    const w = editor.addConstant(`${merged}/weights`, { type: 'float32', dims: [n, k], data: weights });
    const b = editor.addConstant(`${merged}/bias`, { type: 'float32', dims: [n], data: bias });
    editor.steps[group[0]!.at] = {
      ...first,
      node: { ...first.node, name: `${first.node.name || key} (${group.length} Gemms merged)` },
      params: { ...first.params, n, cDims: [n] },
      inputs: [first.inputs[0]!, w, b],
      outputs: [merged],
      outputTypes: [{ type: 'float32', dims: [1, n] }],
    };
  }
}

/** A single-row Gemm y = a·Bᵀ + c with constant B and c whose every reader takes it as an instance norm's γ or β. */
function mergeable(editor: GraphEditor, step: PlannedStep, at: number): Mergeable | undefined {
  if (step.node.opType !== 'Gemm') return undefined;
  const p = step.params as GemmParams;
  if (p.transA || !p.transB || p.alpha !== 1 || p.beta !== 1 || p.m !== 1 || p.epilogue.kind !== 'none' || p.epilogue.residual) return undefined;
  const [, bName, cName] = step.inputs;
  const b = bName ? editor.constants.get(bName) : undefined;
  const c = cName ? editor.constants.get(cName) : undefined;
  if (!isFloat(b) || b.dims.length !== 2 || b.dims[0] !== p.n || b.dims[1] !== p.k) return undefined;
  if (cName && (!isFloat(c) || elementCount(c.dims) !== p.n)) return undefined;
  const out = step.outputs[0]!;
  const readers = editor.consumers(out);
  if (editor.isGraphOutput(out) || readers.length === 0) return undefined;
  const onlyAffine = readers.every((r) => {
    const s = editor.steps[r]!;
    return s.node.opType === 'InstanceNormalization' && s.inputs.every((name, index) => name !== out || index === 1 || index === 2);
  });
  if (!onlyAffine) return undefined;
  return { at, step: step as PlannedStep<GemmParams>, weights: b.data as Float32Array, bias: c ? (c.data as Float32Array) : new Float32Array(p.n) };
}

function isFloat(t: TensorData | undefined): t is TensorData {
  return t !== undefined && t.type === 'float32';
}

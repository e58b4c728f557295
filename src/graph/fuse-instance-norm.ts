import { elementCount } from '../core/ir.js';
import type { BinaryParams } from '../ops/binary/cpu.js';
import { instanceNorm, type InstanceNormParams } from '../ops/instance-norm/cpu.js';
import type { ReduceParams } from '../ops/reduce/cpu.js';
import type { PlannedStep } from './specialize.js';
import type { GraphEditor } from './editor.js';

/**
 * Instance normalisation written out as ops, as PyTorch exports a hand-written AdaIN (inswapper's residual
 * units), becomes one InstanceNormalization step:
 *
 *     m = ReduceMean(y, [2,3]); c = y − m; v = ReduceMean(c·c, [2,3]); s = 1 / Sqrt(v + ε)
 *     out = γ·(c·s) + β            (then, optionally, Relu)
 *
 * γ and β may be run-time values of shape [N|1, C, 1, 1] (inswapper computes them from its `source` input).
 * Every intermediate must be read only inside the pattern; anything else is left as it is.
 */
export function fuseInstanceNorm(editor: GraphEditor): void {
  editor.steps.forEach((step, i) => {
    if (step?.node.opType !== 'ReduceMean') return;
    const fused = matchAt(editor, i);
    if (!fused) return;
    for (const k of fused.remove) editor.steps[k] = null;
    editor.steps[fused.at] = fused.step;
  });
}

interface Match {
  /** Where the fused step goes: the pattern's last step, after every input it reads exists. */
  readonly at: number;
  readonly remove: readonly number[];
  readonly step: PlannedStep<InstanceNormParams>;
}

function matchAt(editor: GraphEditor, first: number): Match | undefined {
  const steps: number[] = [first];
  const meanStep = editor.steps[first]!;
  const y = meanStep.inputs[0]!;
  const dims = spatialMean(meanStep);
  if (!dims) return undefined;
  const [n, c, h, w] = dims;
  /** The sole reader of `value` inside the pattern, with its op type; undefined when read elsewhere too. */
  const next = (value: string, opType: string): [number, PlannedStep] | undefined => {
    const k = editor.soleConsumer(value);
    const s = k === undefined ? undefined : editor.steps[k];
    if (!s || s.node.opType !== opType) return undefined;
    steps.push(k!);
    return [k!, s];
  };
  const mean = meanStep.outputs[0]!;
  const sub = next(mean, 'Sub');
  if (!sub || sub[1].inputs[0] !== y || sub[1].inputs[1] !== mean) return undefined;
  const centred = sub[1].outputs[0]!;
  // c is read twice: by c·c and by c·s.
  const readers = editor.consumers(centred).map((k) => editor.steps[k]!);
  if (editor.isGraphOutput(centred) || readers.length !== 2 || readers.some((r) => r.node.opType !== 'Mul')) return undefined;
  const square = readers.find((r) => r.inputs[0] === centred && r.inputs[1] === centred);
  const scaled = readers.find((r) => r !== square);
  if (!square || !scaled) return undefined;
  const squareAt = editor.steps.indexOf(square);
  steps.push(squareAt);
  const variance = next(square.outputs[0]!, 'ReduceMean');
  if (!variance || !sameDims(spatialMean(variance[1]), dims)) return undefined;
  const addEps = next(variance[1].outputs[0]!, 'Add');
  if (!addEps) return undefined;
  const epsilon = scalarOperand(editor, addEps[1], variance[1].outputs[0]!);
  if (epsilon === undefined) return undefined;
  const root = next(addEps[1].outputs[0]!, 'Sqrt');
  if (!root) return undefined;
  const reciprocal = next(root[1].outputs[0]!, 'Div');
  if (!reciprocal || reciprocal[1].inputs[1] !== root[1].outputs[0] || scalarValue(editor, reciprocal[1].inputs[0]!) !== 1) return undefined;
  const inv = reciprocal[1].outputs[0]!;
  if (editor.soleConsumer(inv) !== editor.steps.indexOf(scaled) || !scaled.inputs.includes(inv)) return undefined;
  steps.push(editor.steps.indexOf(scaled));
  const normed = scaled.outputs[0]!;
  const scale = next(normed, 'Mul');
  if (!scale) return undefined;
  const gamma = otherOperand(scale[1], normed);
  const shift = next(scale[1].outputs[0]!, 'Add');
  if (!shift) return undefined;
  const beta = otherOperand(shift[1], scale[1].outputs[0]!);
  if (gamma === undefined || beta === undefined) return undefined;
  const affine = affineKind(editor, [gamma, beta], n, c);
  if (!affine) return undefined;
  let last = shift;
  let relu = false;
  const after = next(shift[1].outputs[0]!, 'Relu');
  if (after) { last = after; relu = true; }
  // Every step of the pattern is float32 of y's shape or its statistics; broadcasting Mul/Add of γ and β must
  // give y's shape back.
  if (!sameDims(last[1].outputTypes[0]!.dims, [n, c, h, w]) || (shift[1].params as BinaryParams).outDims.length !== 4) return undefined;
  const at = Math.max(...steps);
  return {
    at,
    remove: steps.filter((k) => k !== at),
    step: {
      node: { ...meanStep.node, opType: 'InstanceNormalization', name: meanStep.node.name, inputs: [y, gamma, beta], outputs: [last[1].outputs[0]!] },
      module: instanceNorm,
      params: { epsilon, batch: n, channels: c, plane: h * w, affine, gammaOffset: 0, betaOffset: 0, relu },
      inputs: [y, gamma, beta],
      outputs: [last[1].outputs[0]!],
      outputTypes: last[1].outputTypes,
    },
  };
}

/** [N, C, H, W] when the step is a float32 ReduceMean over exactly the spatial axes of a rank-4 tensor, kept. */
function spatialMean(step: PlannedStep): [number, number, number, number] | undefined {
  if (step.node.opType !== 'ReduceMean') return undefined;
  const p = step.params as ReduceParams;
  if (p.kind !== 'Mean' || p.inDims.length !== 4 || p.outDims.length !== 4) return undefined;
  const [n, c, h, w] = p.inDims as [number, number, number, number];
  if (!sameDims(p.outDims, [n, c, 1, 1]) || p.count !== h * w || h * w === 0) return undefined;
  return [n, c, h, w];
}

function sameDims(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((d, k) => d === b[k]);
}

function otherOperand(step: PlannedStep, value: string): string | undefined {
  if (step.inputs.length !== 2) return undefined;
  if (step.inputs[0] === value && step.inputs[1] !== value) return step.inputs[1];
  if (step.inputs[1] === value && step.inputs[0] !== value) return step.inputs[0];
  return undefined;
}

/** The float32 value of a one-element constant. */
function scalarValue(editor: GraphEditor, name: string): number | undefined {
  const t = editor.constants.get(name);
  return t && t.type === 'float32' && elementCount(t.dims) === 1 ? (t.data as Float32Array)[0] : undefined;
}

function scalarOperand(editor: GraphEditor, step: PlannedStep, value: string): number | undefined {
  const other = otherOperand(step, value);
  return other === undefined ? undefined : scalarValue(editor, other);
}

/** γ and β both per channel ([C], [C,1,1], [1,C,1,1]) or both per sample and channel ([N,C,1,1]). */
function affineKind(editor: GraphEditor, values: readonly string[], n: number, c: number): 'channel' | 'sample' | undefined {
  const kinds = values.map((v) => {
    const dims = editor.typeOf(v)?.dims;
    if (!dims || editor.typeOf(v)!.type !== 'float32') return undefined;
    if (sameDims(dims, [n, c, 1, 1])) return n === 1 ? 'channel' : 'sample';
    if (sameDims(dims, [1, c, 1, 1]) || sameDims(dims, [c, 1, 1])) return 'channel';
    return undefined;
  });
  return kinds[0] !== undefined && kinds.every((k) => k === kinds[0]) ? kinds[0] : undefined;
}

import type { ConvParams } from '../ops/conv/params.js';
import type { UnaryKind, UnaryParams } from '../ops/unary/cpu.js';
import type { GraphEditor } from './editor.js';

/** Ops that only move elements: an elementwise activation after them gives what it gives before them. */
const LAYOUT_ONLY = new Set(['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);

const HOISTABLE = new Set<UnaryKind>(['Relu', 'Clip', 'Sigmoid', 'LeakyRelu', 'HardSigmoid', 'Tanh', 'HardSwish', 'Elu']);

/**
 * Conv → layout-only ops (Transpose, Reshape, …) → an elementwise activation: the activation joins the conv's
 * epilogue and the last layout op writes the activation's output, so one step less. Exact: the same function of
 * the same numbers, applied before they move instead of after. SCRFD's score heads end Conv → Transpose →
 * Reshape → Sigmoid.
 */
export function hoistActivationIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((act, a) => {
    if (!act || !HOISTABLE.has(act.node.opType as UnaryKind) || !act.inputs[0]) return;
    // Walk back through the layout chain; every value on it is read only by the next step.
    const chain: number[] = [];
    let value = act.inputs[0];
    let at = editor.producer(value);
    let reader = a;
    while (at !== undefined && LAYOUT_ONLY.has(editor.steps[at]!.node.opType) && editor.soleConsumer(value) === reader) {
      chain.push(at);
      reader = at;
      value = editor.steps[at]!.inputs[0]!;
      at = editor.producer(value);
    }
    if (chain.length === 0 || at === undefined || editor.soleConsumer(value) !== reader) return;
    const conv = editor.steps[at]!;
    if (conv.node.opType !== 'Conv') return;
    const p = conv.params as ConvParams;
    if (p.epilogue.kind !== 'none') return;
    editor.steps[at] = { ...conv, params: { ...p, epilogue: { kind: 'unary', unary: act.params as UnaryParams, residual: p.epilogue.residual } } };
    const last = chain[0]!;
    editor.steps[last] = { ...editor.steps[last]!, outputs: [act.outputs[0]!], outputTypes: act.outputTypes };
    editor.steps[a] = null;
  });
}

import type { ConvParams } from '../ops/conv/params.js';
import type { Epilogue } from '../ops/epilogue/params.js';
import type { GemmParams } from '../ops/gemm/cpu.js';
import type { UnaryKind, UnaryParams } from '../ops/unary/cpu.js';
import { elementCount } from '../core/ir.js';
import type { PlannedStep } from './specialize.js';
import type { GraphEditor } from './editor.js';

type EpilogueParams = ConvParams | GemmParams;

const FUSABLE_UNARY = new Set<UnaryKind>(['Relu', 'Clip', 'Sigmoid', 'LeakyRelu', 'HardSigmoid', 'Tanh', 'HardSwish', 'Elu']);

function producesEpilogue(step: PlannedStep): boolean {
  return step.node.opType === 'Conv' || step.node.opType === 'Gemm';
}

/**
 * Conv + Add(same-shape tensor) → Conv with a residual input; the fused step takes the Add's place in the order,
 * since the other operand may be computed after the Conv.
 */
export function fuseResidualAdd(editor: GraphEditor): void {
  editor.steps.forEach((add, j) => {
    if (!add || add.node.opType !== 'Add' || add.inputs.length !== 2) return;
    for (const side of [0, 1]) {
      const convOut = add.inputs[side]!;
      const other = add.inputs[1 - side]!;
      if (convOut === other) continue;
      const i = editor.producer(convOut);
      if (i === undefined) continue;
      const conv = editor.steps[i]!;
      if (conv.node.opType !== 'Conv' || editor.soleConsumer(convOut) !== j) continue;
      const params = conv.params as ConvParams;
      if (params.epilogue.kind !== 'none' || params.epilogue.residual) continue;
      // The residual is read element for element, so the other operand itself must have the conv's shape: the Add's
      // output has it whenever the other merely broadcasts to it ([N, C, 1, 1], [W], …).
      const otherType = editor.typeOf(other);
      const convType = conv.outputTypes[0]!;
      if (!otherType || otherType.type !== 'float32' || otherType.dims.length !== convType.dims.length || otherType.dims.some((d, k) => d !== convType.dims[k])) continue;
      if (editor.constants.has(other)) continue;
      const inputs = [...conv.inputs];
      while (inputs.length < 3) inputs.push('');
      editor.steps[i] = null;
      editor.steps[j] = {
        ...conv,
        params: { ...params, epilogue: { kind: 'none', residual: true } },
        inputs: [...inputs, other],
        outputs: [add.outputs[0]!],
        outputTypes: add.outputTypes,
      };
      return;
    }
  });
}

/** Conv/Gemm followed by an activation (Relu, Clip, Sigmoid, LeakyRelu, PRelu with per-channel slope, ...) → one step. */
export function fuseActivations(editor: GraphEditor): void {
  editor.steps.forEach((act, j) => {
    if (!act) return;
    const input = act.inputs[0];
    if (!input) return;
    const i = editor.producer(input);
    if (i === undefined) return;
    const producer = editor.steps[i]!;
    if (!producesEpilogue(producer) || editor.soleConsumer(input) !== j) return;
    const params = producer.params as EpilogueParams;
    if (params.epilogue.kind !== 'none') return;
    const residual = params.epilogue.residual;
    let epilogue: Epilogue | undefined;
    if (act.node.opType === 'PRelu' && producer.node.opType === 'Conv') {
      const slope = editor.constants.get(act.inputs[1]!);
      const channels = (params as ConvParams).outDims[1];
      if (!slope || slope.type !== 'float32') return;
      const n = elementCount(slope.dims);
      // Per-channel ([C,1,1] / [1,C,1,1]) or a single shared slope; anything else keeps its own step.
      const dims = slope.dims;
      const perChannel = n === channels && dims.length >= 1 && (dims.length === 3 ? dims[1] === 1 && dims[2] === 1 : dims.length === 4 ? dims[0] === 1 && dims[2] === 1 && dims[3] === 1 : false);
      if (n !== 1 && !perChannel) return;
      epilogue = { kind: 'prelu', slope: Float32Array.from(slope.data as Float32Array), residual };
    } else if (FUSABLE_UNARY.has(act.node.opType as UnaryKind)) {
      epilogue = { kind: 'unary', unary: act.params as UnaryParams, residual };
    }
    if (!epilogue) return;
    editor.steps[i] = null;
    editor.steps[j] = { ...producer, params: { ...params, epilogue }, outputs: [act.outputs[0]!], outputTypes: act.outputTypes };
  });
}

/** Identity and inference Dropout are no-ops: their readers read the source directly. */
export function removeIdentities(editor: GraphEditor): void {
  editor.steps.forEach((step, i) => {
    if (!step || (step.node.opType !== 'Identity' && step.node.opType !== 'Dropout')) return;
    const live = step.outputs.filter((o) => o !== '');
    if (live.length !== 1 || editor.isGraphOutput(live[0]!)) return;
    editor.renameUses(live[0]!, step.inputs[0]!);
    editor.steps[i] = null;
  });
}

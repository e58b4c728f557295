import type { ConvParams } from '../ops/conv/params.js';
import type { PadParams } from '../ops/pad/cpu.js';
import type { GraphEditor } from './editor.js';

/**
 * Pad(mode reflect) → Conv becomes one Conv whose pads mirror the input (ConvParams.padMode), so no padded copy
 * of the activation is written and read back: INSwapper reflect-pads the input of 14 of its 20 convs. Only spatial
 * pads of a rank-4 tensor, each smaller than its axis (as reflection needs), into a Conv without pads of its own.
 */
export function foldReflectPadIntoConv(editor: GraphEditor): void {
  editor.steps.forEach((pad, i) => {
    if (pad?.node.opType !== 'Pad') return;
    const p = pad.params as PadParams;
    if (p.mode !== 'reflect' || p.inDims.length !== 4) return;
    const ends = p.outDims.map((d, a) => d - p.inDims[a]! - p.begins[a]!);
    if (p.begins[0] !== 0 || p.begins[1] !== 0 || ends[0] !== 0 || ends[1] !== 0) return;
    const [top, left] = [p.begins[2]!, p.begins[3]!];
    const [bottom, right] = [ends[2]!, ends[3]!];
    const [h, w] = [p.inDims[2]!, p.inDims[3]!];
    if ([top, left, bottom, right].some((v) => v < 0) || Math.max(top, bottom) >= h || Math.max(left, right) >= w) return;
    const out = pad.outputs[0]!;
    const j = editor.soleConsumer(out);
    const conv = j === undefined ? undefined : editor.steps[j];
    if (conv?.node.opType !== 'Conv' || conv.inputs[0] !== out) return;
    const c = conv.params as ConvParams;
    if (c.rank !== 4 || c.pads.some((v) => v !== 0) || c.padMode !== undefined) return;
    const params: ConvParams = { ...c, inDims: [c.inDims[0], c.inDims[1], h, w], pads: [top, left, bottom, right], padMode: 'reflect' };
    editor.steps[j!] = { ...conv, params, inputs: [pad.inputs[0]!, ...conv.inputs.slice(1)] };
    editor.steps[i] = null;
  });
}

import { dropDeadSteps, type StaticGraph } from './specialize.js';
import { foldBatchNormBeforeConv, foldBatchNormBeforeGemm, foldBatchNormIntoConv, foldBatchNormIntoGemm } from './fold-batch-norm.js';
import { fuseActivations, fuseResidualAdd, removeIdentities } from './fuse-epilogues.js';
import { GraphEditor } from './editor.js';
import { foldReflectPadIntoConv } from './fold-reflect-pad.js';
import { fuseInstanceNorm } from './fuse-instance-norm.js';
import { mergeAffineGemms } from './merge-affine-gemms.js';
import { foldScaleIntoConv } from './fold-scale-into-conv.js';
import { foldAveragePoolIntoConv } from './fold-average-pool-into-conv.js';
import { hoistActivationIntoConv } from './hoist-activation-into-conv.js';
import { fuseTransposeIntoConv } from './fuse-transpose-into-conv.js';
import { fuseResizeIntoResidual } from './fuse-resize-into-residual.js';

/**
 * Graph passes run after specialisation, before a backend compiles the graph. Order matters: BN folds into the
 * conv's weights first (a BN after its conv, then one before it), then a residual Add joins the conv, then the activation after the Add. Instance
 * normalisation written out as ops becomes one step before any of them could take its Relu, and then reads
 * its γ and β from one merged projection. A reflect Pad becomes its Conv's pad mode. A constant scale after a conv
 * and an average pool before a 1×1 conv go into its weights before the residual Add can join it; an activation
 * behind layout-only ops joins the conv once the direct ones have; then a Transpose after a conv becomes its store
 * order, and a nearest Resize feeding a conv's residual its residual's read (last, since the passes before rebuild
 * epilogues without that field).
 */
export function optimizeGraph(graph: StaticGraph): StaticGraph {
  const editor = new GraphEditor(graph);
  removeIdentities(editor);
  fuseInstanceNorm(editor);
  mergeAffineGemms(editor);
  foldReflectPadIntoConv(editor);
  foldBatchNormIntoConv(editor);
  foldBatchNormBeforeConv(editor);
  foldBatchNormIntoGemm(editor);
  foldBatchNormBeforeGemm(editor);
  foldScaleIntoConv(editor);
  foldAveragePoolIntoConv(editor);
  fuseResidualAdd(editor);
  fuseActivations(editor);
  hoistActivationIntoConv(editor);
  fuseTransposeIntoConv(editor);
  fuseResizeIntoResidual(editor);
  const result = editor.result();
  return { ...result, steps: dropDeadSteps(result.steps, result.outputs) };
}

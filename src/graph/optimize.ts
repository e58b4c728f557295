import { dropDeadSteps, type StaticGraph } from './specialize.js';
import { foldBatchNormIntoConv } from './fold-batch-norm.js';
import { fuseActivations, fuseResidualAdd, removeIdentities } from './fuse-epilogues.js';
import { GraphEditor } from './editor.js';

/**
 * Graph passes run after specialisation, before a backend compiles the graph. Order matters: BN folds into the
 * conv's weights first, then a residual Add joins the conv, then the activation after the Add.
 */
export function optimizeGraph(graph: StaticGraph): StaticGraph {
  const editor = new GraphEditor(graph);
  removeIdentities(editor);
  foldBatchNormIntoConv(editor);
  fuseResidualAdd(editor);
  fuseActivations(editor);
  const result = editor.result();
  return { ...result, steps: dropDeadSteps(result.steps, result.outputs) };
}

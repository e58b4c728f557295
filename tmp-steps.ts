import { readFileSync } from 'node:fs';
import { parseModel } from './src/parser/decode-model.js';
import { specializeGraph } from './src/graph/specialize.js';
import { optimizeGraph } from './src/graph/optimize.js';
const m = parseModel(readFileSync('/work/shared/models/scrfd_2.5g_bnkps.onnx'));
const g = optimizeGraph(specializeGraph(m, new Map([[m.graph.inputs[0]!.name, { type: 'float32', dims: [1, 3, 640, 640] }]])));
const prod = new Map<string, number>();
g.steps.forEach((s, i) => s.outputs.forEach((o) => prod.set(o, i)));
g.steps.forEach((s, i) => {
  const p = s.params as any;
  const ep = p?.epilogue ? `${p.epilogue.kind}${p.epilogue.residual ? '+res' : ''}` : '';
  const extra = s.node.opType === 'Conv' ? ` k${JSON.stringify(p.kernelShape ?? p.kernel ?? '')} ` : s.node.opType==='Mul'||s.node.opType==='Add' ? ' consts:' + s.inputs.map(x => g.constants.has(x) ? JSON.stringify(g.constants.get(x)!.dims) : 'v').join(',') : '';
  console.log(i, s.node.opType, ep, extra, 'in:', s.inputs.map((x) => prod.get(x) ?? (g.constants.has(x) ? 'c' : x)).join(','), JSON.stringify(s.outputTypes[0]?.dims));
});

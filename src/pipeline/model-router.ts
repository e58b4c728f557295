import type { Graph, Node } from '../core/ir.js';
import type { Normalisation } from './preprocess/blob.js';

/** The Python class InsightFace's ModelRouter picks for a file. */
export type ModelClass = 'detection' | 'landmark' | 'attribute' | 'inswapper' | 'recognition';

/** What routing reads: the inputs' declared shapes (symbolic dims as strings) and the output count. InferenceSession fits. */
export interface RoutingView {
  readonly inputMetadata: readonly { readonly shape: readonly (number | string)[] }[];
  readonly outputNames: readonly string[];
}

/** routeModel on a parsed graph, before any session is compiled (unknown dims read as '', as a session reports them). */
export function routeGraph(graph: Pick<Graph, 'inputs' | 'outputs'>): ModelClass | undefined {
  return routeModel({
    inputMetadata: graph.inputs.map((v) => ({ shape: (v.shape ?? []).map((d) => (d === null ? '' : d)) })),
    outputNames: graph.outputs.map((v) => v.name),
  });
}

/**
 * ModelRouter's rule on the first input's shape and the output count, first match wins: ≥ 5 outputs →
 * detector; 192² → Landmark; 96² → Attribute; 2 inputs and 128² → INSwapper; square, ≥ 112, multiple of 16 →
 * ArcFace; otherwise undefined (not recognised). Symbolic dims never equal a number.
 */
export function routeModel(session: RoutingView): ModelClass | undefined {
  if (session.outputNames.length >= 5) return 'detection';
  const shape = session.inputMetadata[0]?.shape ?? [];
  const h = shape[2];
  const w = shape[3];
  if (h === 192 && w === 192) return 'landmark';
  if (h === 96 && w === 96) return 'attribute';
  if (session.inputMetadata.length === 2 && h === 128 && w === 128) return 'inswapper';
  if (typeof h === 'number' && h === w && h >= 112 && h % 16 === 0) return 'recognition';
  return undefined;
}

/**
 * The normalisation probe: a Sub-like and a Mul-like node among the first 8 node names mean the graph
 * normalises itself (mean 0, std 1). Landmark/Attribute also accept `bn_data` among the first 3 nodes, and
 * otherwise use 127.5/128; ArcFace uses 127.5/127.5. The detector never probes (127.5/128).
 */
export function probeNormalisation(nodes: readonly Pick<Node, 'name'>[], cls: ModelClass): Normalisation {
  if (cls === 'detection') return { mean: 127.5, std: 128 };
  let findSub = false;
  let findMul = false;
  nodes.slice(0, 8).forEach((node, i) => {
    if (node.name.startsWith('Sub') || node.name.startsWith('_minus')) findSub = true;
    if (node.name.startsWith('Mul') || node.name.startsWith('_mul')) findMul = true;
    if (cls !== 'recognition' && i < 3 && node.name === 'bn_data') {
      findSub = true;
      findMul = true;
    }
  });
  if (findSub && findMul) return { mean: 0, std: 1 };
  return cls === 'recognition' ? { mean: 127.5, std: 127.5 } : { mean: 127.5, std: 128 };
}

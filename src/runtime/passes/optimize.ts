import type { StaticGraph } from '../../parser/specialize.js';

/** Graph passes run after specialisation, before a backend compiles the graph. */
export function optimizeGraph(graph: StaticGraph, backend: 'cpu' | 'webgpu'): StaticGraph {
  void backend;
  return graph;
}

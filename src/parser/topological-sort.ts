import { GraphError } from '../core/errors.js';
import type { Node } from '../core/ir.js';

/**
 * Returns nodes in an order where every input is produced before use (stable for already-sorted graphs).
 * Throws GraphError for values nobody produces and for cycles.
 */
export function sortTopologically(nodes: readonly Node[], available: ReadonlySet<string>): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((node, i) => {
    for (const out of node.outputs) {
      if (out === '') continue;
      if (producer.has(out) || available.has(out)) {
        throw new GraphError(`value '${out}' is produced more than once`, node.name || `${node.opType}#${i}`, node.opType);
      }
      producer.set(out, i);
    }
  });
  const known = new Set(available);
  const done = new Array<boolean>(nodes.length).fill(false);
  const sorted: Node[] = [];
  let progress = true;
  while (sorted.length < nodes.length && progress) {
    progress = false;
    for (let i = 0; i < nodes.length; i++) {
      if (done[i]) continue;
      const node = nodes[i]!;
      let ready = true;
      for (const input of node.inputs) {
        if (input === '' || known.has(input)) continue;
        if (!producer.has(input)) {
          throw new GraphError(`input '${input}' is not a graph input, an initializer, or any node's output (missing initializer?)`,
            node.name || `${node.opType}#${i}`, node.opType);
        }
        ready = false;
        break;
      }
      if (!ready) continue;
      done[i] = true;
      progress = true;
      for (const out of node.outputs) if (out !== '') known.add(out);
      sorted.push({ ...node, index: sorted.length });
    }
  }
  if (sorted.length < nodes.length) throw new GraphError('the graph has a cycle');
  return sorted;
}

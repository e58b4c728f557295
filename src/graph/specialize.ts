import { findOpModule } from '../ops/registry.js';
import type { OpModule, ValueType } from '../ops/kernel/op-module.js';
import { GraphError, InsightGpuError, ResourceLimitError, UnsupportedOpError } from '../core/errors.js';
import { elementCount, nodeLabel, type Model, type Node, type TensorData } from '../core/ir.js';
import { MAX_TENSOR_ELEMENTS } from '../core/dtype.js';

/** One node to execute, resolved for concrete shapes. */
export interface PlannedStep<P = unknown> {
  readonly node: Node;
  readonly module: OpModule<P>;
  readonly params: P;
  /** Value names; '' for omitted optional inputs. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly outputTypes: readonly ValueType[];
}

/** A model specialised to concrete input shapes: every value has a static type, shape sub-graphs are folded. */
export interface StaticGraph {
  readonly inputs: readonly { readonly name: string; readonly type: ValueType }[];
  readonly outputs: readonly string[];
  readonly steps: readonly PlannedStep[];
  /** Initializers plus every value computed at load time. */
  readonly constants: ReadonlyMap<string, TensorData>;
  readonly types: ReadonlyMap<string, ValueType>;
}

/** Values up to this many elements are computed at load time when all their inputs are constant. */
const FOLD_LIMIT = 1 << 22;

/**
 * Shape inference and constant folding for one set of input shapes. Shape/Size always fold (they depend only on
 * types), so Shape → Gather → Unsqueeze → Concat chains feeding Resize or Reshape become constants.
 */
export function specializeGraph(model: Model, inputTypes: ReadonlyMap<string, ValueType>): StaticGraph {
  const { graph } = model;
  const types = new Map<string, ValueType>();
  const constants = new Map<string, TensorData>();
  for (const [name, t] of graph.initializers) {
    constants.set(name, t);
    types.set(name, { type: t.type, dims: t.dims });
  }
  const inputs = graph.inputs.map((info) => {
    const type = inputTypes.get(info.name);
    if (!type) throw new GraphError(`no type given for graph input '${info.name}'`);
    types.set(info.name, type);
    return { name: info.name, type };
  });

  const steps: PlannedStep[] = [];
  for (const node of graph.nodes) {
    const module = findOpModule(node.opType, node.domain);
    if (!module) throw new UnsupportedOpError(node.domain ? `${node.domain}.${node.opType}` : node.opType, nodeLabel(node));
    const inputValueTypes = node.inputs.map((name) => {
      if (name === '') return undefined;
      const t = types.get(name);
      if (!t) throw new GraphError(`input '${name}' has no known type`, nodeLabel(node), node.opType);
      return t;
    });
    const inputConstants = node.inputs.map((name) => (name === '' ? undefined : constants.get(name)));
    if (inputValueTypes.length === 0 && node.opType !== 'Constant') {
      throw new GraphError('the node has no inputs', nodeLabel(node), node.opType);
    }
    if (node.opType !== 'Constant' && inputValueTypes[0] === undefined) {
      throw new GraphError('the first input is missing', nodeLabel(node), node.opType);
    }
    const opset = model.opsetImports.get(node.domain) ?? model.opsetImports.get('') ?? 11;
    const resolved = withNodeContext(node, () => module.resolve({ node, inputs: inputValueTypes, constants: inputConstants, opset }));
    const liveOutputs = node.outputs.filter((o) => o !== '');
    if (resolved.outputs.length < liveOutputs.length) {
      throw new GraphError(`declares ${node.outputs.length} outputs, the op produces ${resolved.outputs.length}`, nodeLabel(node), node.opType);
    }
    resolved.outputs.forEach((t, i) => {
      const count = elementCount(t.dims);
      if (!(count <= MAX_TENSOR_ELEMENTS)) throw new ResourceLimitError(`output ${i} of node '${nodeLabel(node)}' (${node.opType})`, count, MAX_TENSOR_ELEMENTS);
      const name = node.outputs[i];
      if (name) types.set(name, t);
    });

    const presentInputs = node.inputs.filter((n) => n !== '');
    const allConstant = presentInputs.every((n) => constants.has(n));
    const alwaysFold = node.opType === 'Shape' || node.opType === 'Size' || node.opType === 'Constant';
    const small = resolved.outputs.every((t) => elementCount(t.dims) <= FOLD_LIMIT);
    if (alwaysFold || (allConstant && module.foldable !== false && small)) {
      const values = withNodeContext(node, () => module.cpu(resolved.params, inputConstants, resolved.outputs));
      values.forEach((v, i) => { const name = node.outputs[i]; if (name) constants.set(name, v); });
      continue;
    }
    steps.push({ node, module, params: resolved.params, inputs: node.inputs, outputs: node.outputs, outputTypes: resolved.outputs });
  }

  const outputs = graph.outputs.map((o) => o.name);
  return { inputs, outputs, steps: dropDeadSteps(steps, outputs), constants, types };
}

/** Removes steps whose outputs nobody needs. */
export function dropDeadSteps(steps: readonly PlannedStep[], outputs: readonly string[]): PlannedStep[] {
  const needed = new Set(outputs);
  const kept: PlannedStep[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (!step.outputs.some((o) => o !== '' && needed.has(o))) continue;
    kept.push(step);
    for (const input of step.inputs) if (input !== '') needed.add(input);
  }
  return kept.reverse();
}

/** Runs `fn`, turning unexpected exceptions (corrupt data tripping a kernel) into GraphErrors that name the node. */
export function withNodeContext<T>(node: Node, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InsightGpuError) {
      if (error instanceof GraphError && error.nodeName === undefined) {
        throw new GraphError(error.why, nodeLabel(node), node.opType);
      }
      throw error;
    }
    const why = error instanceof Error ? error.message : String(error);
    throw new GraphError(`failed: ${why}`, nodeLabel(node), node.opType);
  }
}

/**
 * A real model file rewritten as `torch.onnx.export(..., keep_initializers_as_inputs=True)` writes it: every
 * initializer also listed as a graph input (after the real inputs), so from IR 4 on each weight is an input with a
 * default that a feed may override.
 */
import { onnx } from '../parser/onnx-builder.js';

/** `bytes` with every initializer added to the graph's inputs, typed and shaped as the initializer; IR version kept. */
export function keepInitializersAsInputs(bytes: Uint8Array): Uint8Array {
  const proto = onnx.ModelProto.decode(bytes);
  const graph = proto.graph!;
  const listed = new Set((graph.input ?? []).map((v) => v.name));
  for (const init of graph.initializer ?? []) {
    if (listed.has(init.name)) continue;
    (graph.input ??= []).push({ name: init.name, type: { tensorType: { elemType: init.dataType, shape: { dim: (init.dims ?? []).map((d) => ({ dimValue: d })) } } } });
  }
  return onnx.ModelProto.encode(proto).finish();
}

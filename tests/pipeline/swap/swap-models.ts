/** Tiny INSwapper-shaped ONNX models for the swap tests, built with the parser tests' writer. */
import { buildModel, DT, node, tensor, valueInfo } from '../../parser/onnx-builder.js';

export type Init = ReturnType<typeof tensor>;
export const identity512 = (): number[] => Array.from({ length: 512 * 512 }, (_, i) => (i % 513 === 0 ? 1 : 0));

/** A model with INSwapper's inputs and output whose network is `output = target` (Identity), `emap` last. */
export function swapModel(options: { inputs?: ReturnType<typeof valueInfo>[]; initializers?: Init[]; nodes?: ReturnType<typeof node>[] } = {}): Uint8Array {
  return buildModel({
    inputs: options.inputs ?? [valueInfo('target', DT.FLOAT, [1, 3, 128, 128]), valueInfo('source', DT.FLOAT, [1, 512])],
    outputs: [valueInfo('output', DT.FLOAT, [1, 3, 128, 128])],
    initializers: options.initializers ?? [tensor('emap', 'float32', [512, 512], identity512())],
    nodes: options.nodes ?? [node('Identity', ['target'], ['output'])],
  });
}


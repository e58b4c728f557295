export { InferenceSession } from './runtime/session.js';
export type { BackendName, SessionOptions, ValueMetadata, WebGpuOptions, FeedsType, ReturnType } from './runtime/session.js';
export { Tensor, GpuTensor } from './runtime/tensor.js';
export type { TensorType } from './runtime/tensor.js';
export type { StepTiming } from './runtime/backend.js';
export {
  InsightGpuError, ModelFormatError, UnsupportedOpError, GraphError, InputError, ResourceLimitError, BackendError,
} from './parser/errors.js';
export { parseModel } from './parser/decode-model.js';
export type { Model, Graph, Node, ValueInfo, TensorData, DataType } from './parser/ir.js';
export * from './pipeline/index.js';

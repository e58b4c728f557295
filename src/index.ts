/**
 * The library: InferenceSession (onnxruntime-web's shape) on WebGPU or the CPU, and InsightFace's pipeline on top.
 * The package's `node` and `browser` entries (src/node.ts, src/browser.ts) re-export all of it.
 *
 * @packageDocumentation
 */
export { InferenceSession } from './session/session.js';
export type { BackendName, WebGpuOptions } from './backends/options.js';
export type { SessionOptions, ValueMetadata, FeedsType, ReturnType, TogetherRun } from './session/session.js';
export { Tensor, GpuTensor } from './core/tensor.js';
export type { TensorType } from './core/tensor.js';
export type { StepTiming, CompileTimes, CompileTimeline, KernelRequestTimeline, PrecompileTimes, Precision } from './backends/plan.js';
export {
  InsightGpuError, ModelFormatError, ModelVersionError, UnsupportedOpError, GraphError, InputError, ResourceLimitError, BackendError,
  MissingPackageError, PrecisionUnavailableError,
} from './core/errors.js';
export { parseModel, type ParseOptions } from './parser/decode-model.js';
export type { Model, Graph, Node, ValueInfo, TensorData, DataType } from './core/ir.js';
export { lastInitializer } from './core/ir.js';
export * from './pipeline/index.js';

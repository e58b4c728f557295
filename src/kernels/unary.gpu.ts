import type { GpuKernel } from './kernel-api.gpu.js';
import type { UnaryParams } from './unary.js';
import { elementwiseDispatch, unaryExpression } from './wgsl-common.wgsl.js';

/** Element-wise activations on float32, one thread per element. */
export const unaryGpu: GpuKernel<UnaryParams> = {
  opTypes: ['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'Elu', 'Clip', 'Exp', 'Log', 'Abs', 'Neg', 'Sqrt',
    'Reciprocal', 'Floor', 'Ceil', 'Softplus', 'HardSwish'],
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension, shape }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], ['f32', 'f32'], `  y[i] = ${unaryExpression(params, 'x[i]')};`, '', shape);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

/** Identity and inference Dropout share their input's buffer; a requested Dropout mask is left to the CPU. */
export const identityGpu: GpuKernel<null> = {
  opTypes: ['Identity', 'Dropout'],
  lower({ outputs }) {
    return outputs.length > 1 ? undefined : { kind: 'alias' };
  },
};

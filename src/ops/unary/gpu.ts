import type { GpuKernel } from '../kernel/gpu-kernel.js';
import type { UnaryParams } from './cpu.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, f32 } from '../kernel/wgsl.js';

/** Element-wise activations on float32, one thread per element. */
export const unaryGpu: GpuKernel<UnaryParams> = {
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension, shape, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], ['f32', 'f32'], `  y[i] = ${st.store(unaryExpression(params, st.load('x[i]')))};`, '', shape, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

/** Identity and inference Dropout share their input's buffer; a requested Dropout mask is left to the CPU. */
export const identityGpu: GpuKernel<null> = {
  lower({ outputs }) {
    return outputs.length > 1 ? undefined : { kind: 'alias' };
  },
};

/**
 * The WGSL expression of a unary activation applied to `x` (an f32 expression evaluated once per use); `a` and `b`
 * are the expressions of its alpha and beta, literals unless a generic kernel reads them from its uniforms.
 */
export function unaryExpression(p: UnaryParams, x: string, a = f32(p.alpha), b = f32(p.beta)): string {
  // A NaN input gives NaN, as in onnxruntime: WGSL's max, clamp, exp and tanh may turn it into 0, ±1 or inf.
  return p.kind === 'Log' ? `logOnnx(${x})` : `select(${finiteExpression(p, x, a, b)}, ${x}, isNan(${x}))`;
}

function finiteExpression(p: UnaryParams, x: string, a: string, b: string): string {
  switch (p.kind) {
    case 'Relu': return `max(${x}, 0.0f)`;
    // exp of a large positive argument overflows to inf and 1/(1+inf) = 0, as on the CPU.
    case 'Sigmoid': return `(1.0f / (1.0f + exp(-(${x}))))`;
    case 'Tanh': return `tanh(clamp(${x}, -20.0f, 20.0f))`;
    case 'LeakyRelu': return `select(${a} * (${x}), ${x}, (${x}) >= 0.0f)`;
    case 'HardSigmoid': return `clamp(${a} * (${x}) + ${b}, 0.0f, 1.0f)`;
    case 'HardSwish': return `((${x}) * clamp((${x}) / 6.0f + 0.5f, 0.0f, 1.0f))`;
    case 'Elu': return `select(${a} * (exp(${x}) - 1.0f), ${x}, (${x}) >= 0.0f)`;
    case 'Clip': return `min(max(${x}, ${a}), ${b})`;
    case 'Exp': return `exp(${x})`;
    case 'Log': return `logOnnx(${x})`;
    case 'Abs': return `abs(${x})`;
    case 'Neg': return `(-(${x}))`;
    case 'Sqrt': return `sqrt(${x})`;
    case 'Reciprocal': return `(1.0f / (${x}))`;
    case 'Floor': return `floor(${x})`;
    case 'Ceil': return `ceil(${x})`;
    case 'Softplus': return `select(log(exp(${x}) + 1.0f), ${x}, (${x}) > 20.0f)`;
  }
}

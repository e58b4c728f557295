import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch } from '../kernel/wgsl.js';
import type { SoftmaxParams } from './cpu.js';

/**
 * Softmax/LogSoftmax of float32, one thread per row: the row's maximum, then the sum of exp(x − max), then the
 * outputs, in f32. A row holding NaN or +∞, or only −∞, is written NaN, as the reference's x − max makes it: tested
 * on the bits, since WGSL's max() may drop a NaN and SwiftShader folds `v != v` to false.
 */
export const softmaxGpu: GpuKernel<SoftmaxParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const rows = p.outer * p.inner;
    if (rows === 0 || p.n === 0) return { kind: 'dispatches', dispatches: [] };
    const n = s.u('n', p.n);
    const inner = s.u('inner', p.inner);
    const at = 'start + k * step';
    const write = p.log ? `y[${at}] = ${st.store(`${st.load(`x[${at}]`)} - m - log(sum)`)};` : `y[${at}] = ${st.store(`exp(${st.load(`x[${at}]`)} - m) / sum`)};`;
    const body = `  let step = ${inner};
  let start = (i / step) * ${n} * step + i % step;
  var m = bitcast<f32>(NEG_INF_BITS);
  var bad = false;
  for (var k = 0u; k < ${n}; k++) {
    let v = ${st.load(`x[${at}]`)};
    let bits = bitcast<u32>(v);
    // NaN, or +∞.
    if ((bits & 0x7fffffffu) > 0x7f800000u || bits == 0x7f800000u) { bad = true; }
    m = max(m, v);
  }
  if (bad || bitcast<u32>(m) == NEG_INF_BITS) {
    for (var k = 0u; k < ${n}; k++) { y[${at}] = ${st.store('bitcast<f32>(NAN_BITS)')}; }
    return;
  }
  var sum = 0.0f;
  for (var k = 0u; k < ${n}; k++) { sum += exp(${st.load(`x[${at}]`)} - m); }
  for (var k = 0u; k < ${n}; k++) { ${write} }`;
    const d = elementwiseDispatch(rows, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }], ['x', 'y'], ['f32', 'f32'], body, '', s, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

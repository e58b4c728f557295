import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, f32 } from '../kernel/wgsl.js';
import { ERF_A, ERF_P, type MathParams } from './cpu.js';

/** The reference's erf formula in f32 (see ERF_A), odd in x. */
const ERF = `fn erf_(x: f32) -> f32 {
  let ax = abs(x);
  let t = 1.0f / (1.0f + ${f32(ERF_P)} * ax);
  let poly = t * (${f32(ERF_A[0]!)} + t * (${f32(ERF_A[1]!)} + t * (${f32(ERF_A[2]!)} + t * (${f32(ERF_A[3]!)} + t * ${f32(ERF_A[4]!)}))));
  let y = 1.0f - poly * exp(-ax * ax);
  return select(y, -y, x < 0.0f);
}`;

/**
 * Erf, Sign and Round of float32, one thread per element. NaN is tested on the bits and passed through (WGSL may
 * assume no NaN, and SwiftShader folds `v != v` to false); WGSL's round() rounds half to even, as ONNX's Round.
 */
export const mathGpu: GpuKernel<MathParams> = {
  lower({ params: p, inputs, outputs, maxWorkgroupsPerDimension, shape, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const count = outputs[0]!.dims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const value = p.kind === 'Erf' ? 'erf_(v)' : p.kind === 'Sign' ? 'sign(v)' : 'round(v)';
    const body = `  let v = ${st.load('x[i]')};
  if ((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u) { y[i] = x[i]; return; }
  y[i] = ${st.store(value)};`;
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }],
      ['x', 'y'], ['f32', 'f32'], body, p.kind === 'Erf' ? ERF : '', shape, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

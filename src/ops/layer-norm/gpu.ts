import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, f32 } from '../kernel/wgsl.js';
import type { LayerNormParams } from './cpu.js';

/**
 * LayerNormalization of float32, one thread per row: mean, then variance from the deviations, then the scaled and
 * shifted outputs, in f32. Scale and B are read through the reference's broadcast tables (uploaded as data).
 */
export const layerNormGpu: GpuKernel<LayerNormParams> = {
  lower({ params: p, inputs, outputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    if (p.rows === 0 || p.n === 0) return { kind: 'dispatches', dispatches: [] };
    const hasBias = p.biasAt !== undefined;
    const bindings: GpuBinding[] = [{ kind: 'input', index: 0 }, { kind: 'input', index: 1 }, ...(hasBias ? [{ kind: 'input', index: 2 } as const] : []),
      { kind: 'output', index: 0 }, { kind: 'data', data: p.scaleAt }, ...(hasBias ? [{ kind: 'data', data: p.biasAt! } as const] : [])];
    const names = ['x', 'scale', ...(hasBias ? ['bias'] : []), 'y', 'scaleAt', ...(hasBias ? ['biasAt'] : [])];
    const elements = ['f32', 'f32', ...(hasBias ? ['f32'] : []), 'f32', 'i32', ...(hasBias ? ['i32'] : [])];
    // The Mean and InvStdDev outputs, when asked for: one value per row, written by the row's thread.
    const stats = ['meanOut', 'invOut'].slice(0, outputs.length - 1);
    stats.forEach((name, k) => { bindings.push({ kind: 'output', index: k + 1 }); names.push(name); elements.push('f32'); });
    const statLines = stats.map((name, k) => `  ${name}[i] = ${st.store(k === 0 ? 'mean' : 'inv')};`).join('\n');
    const n = s.u('n', p.n);
    const eps = s.generic ? s.bits('epsilon', p.epsilon) : f32(p.epsilon);
    const shift = hasBias ? ` + ${st.load('bias[biasAt[k]]')}` : '';
    const body = `  let base = i * ${n};
  var mean = 0.0f;
  for (var k = 0u; k < ${n}; k++) { mean += ${st.load('x[base + k]')}; }
  mean /= f32(${n});
  var variance = 0.0f;
  for (var k = 0u; k < ${n}; k++) { let d = ${st.load('x[base + k]')} - mean; variance += d * d; }
  variance /= f32(${n});
  let inv = 1.0f / sqrt(variance + ${eps});
${statLines}
  for (var k = 0u; k < ${n}; k++) {
    y[base + k] = ${st.store(`(${st.load('x[base + k]')} - mean) * inv * ${st.load('scale[scaleAt[k]]')}${shift}`)};
  }`;
    const d = elementwiseDispatch(p.rows, maxWorkgroupsPerDimension, bindings, names, elements, body, '', s, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

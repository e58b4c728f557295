import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { padOffsetTables, type PadParams } from './cpu.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, f32, strides, wordType } from '../kernel/wgsl.js';

/**
 * A float32 fill value as an f16 store's argument. Converting a literal beyond f16's range is a shader-creation
 * error (a const-expression overflow), so fills that round to ±∞ in f16 (|v| ≥ 65520) read the infinity from a
 * private (run-time) value, and those just below round to ±65504 as literals.
 */
function halfFill(v: number): string {
  if (v >= 65520) return '(-bitcast<f32>(NEG_INF_BITS))';
  if (v <= -65520) return 'bitcast<f32>(NEG_INF_BITS)';
  return f32(Math.min(65504, Math.max(-65504, v)));
}

/**
 * Pad of a 32-bit element type, one thread per output. Which input element each output coordinate reads depends on
 * that coordinate alone, per axis, so the reference's own tables (input offset, or -1 for the fill) are uploaded
 * and the shader adds one entry per axis: the mode rules (reflect, edge, wrap, crops) stay in one place, and the
 * generic tier's text depends only on the rank and element type.
 */
export const padGpu: GpuKernel<PadParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    const word = inputs[0] && wordType(inputs[0].type);
    if (!word) return undefined;
    const t = st.element(word);
    const count = p.outDims.reduce((a, d) => a * d, 1);
    if (count === 0) return { kind: 'dispatches', dispatches: [] };
    const tables = padOffsetTables(p);
    const table = new Int32Array(tables.reduce((a, tab) => a + tab.length, 0));
    const outStrides = strides(p.outDims);
    const lines: string[] = [];
    let at = 0;
    tables.forEach((tab, a) => {
      table.set(tab, at);
      const coord = `(i / ${s.u(`over${a}`, outStrides[a]!)}) % ${s.u(`dim${a}`, p.outDims[a]!)}`;
      lines.push(`  let t${a} = table[${s.u(`table${a}`, at)} + ${coord}];`);
      at += tab.length;
    });
    const rank = p.outDims.length;
    const terms = Array.from({ length: rank }, (_, a) => `t${a}`);
    let fill: string;
    if (word === 'f32') fill = st.store(s.generic ? s.bits('value', p.value) : st.half ? halfFill(p.value) : f32(p.value));
    // Wrapped to 32 bits as the CPU reference's Int32Array/Uint32Array store does.
    else if (t === 'i32') fill = s.i('value', p.value | 0);
    else fill = s.u('value', p.value >>> 0);
    const body = rank === 0
      ? '  y[i] = x[0];'
      : `${lines.join('\n')}
  if (${terms.map((v) => `${v} < 0`).join(' || ')}) { y[i] = ${fill}; return; }
  y[i] = x[u32(${terms.join(' + ')})];`;
    const bindings = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }, { kind: 'data', data: table.length > 0 ? table : new Int32Array(1) }] as const;
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, bindings, ['x', 'y', 'table'], [t, t, 'i32'], body, '', s);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { nearestIndex, nearestSourceCoordinate, sourceCoordinate, type ResizeParams } from './cpu.js';
import { Storage } from '../kernel/storage.js';
import { declareBindings, grid, strides } from '../kernel/wgsl.js';

const WORKGROUP = 128;

/**
 * Resize, nearest or bilinear. The per-axis source indices and weights depend only on the output coordinate, so
 * they are computed once on the CPU with the reference's own functions and uploaded as small tables; the shader
 * only gathers. This keeps the rounding rules (nearest_mode, coordinate modes) in exactly one place.
 */
export const resizeGpu: GpuKernel<ResizeParams> = {
  lower({ params: p, inputs, maxWorkgroupsPerDimension, shape: s, storage: st = Storage.f32 }) {
    if (inputs[0]?.type !== 'float32') return undefined;
    const rank = p.inDims.length;
    const total = p.outDims.reduce((a, d) => a * d, 1);
    const inStrides = strides(p.inDims);
    const outStrides = strides(p.outDims);
    const g = grid(total, WORKGROUP, maxWorkgroupsPerDimension, s);
    const bindings = [{ kind: 'input', index: 0 }, { kind: 'output', index: 0 }] as const;
    if (p.mode === 'nearest') {
      // table[offsetOf(axis) + i] = input offset contributed by output coordinate i along that axis.
      const offsets: number[] = [];
      const parts: number[] = [];
      for (let a = 0; a < rank; a++) {
        offsets.push(parts.length);
        for (let i = 0; i < p.outDims[a]!; i++) parts.push(nearestIndex(nearestSourceCoordinate(p, a, i), p.nearestMode, p.inDims[a]!) * inStrides[a]!);
      }
      const table = Uint32Array.from(parts);
      const sum = p.outDims.map((d, a) => `table[${s.u(`table${a}`, offsets[a]!)} + (i / ${s.u(`over${a}`, outStrides[a]!)}) % ${s.u(`dim${a}`, d)}]`).join(' + ');
      const all = [...bindings, { kind: 'data' as const, data: table }];
      const shader = `${declareBindings(all, ['x', 'y', 'table'], ['f32', 'f32', 'u32'], st)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${WORKGROUP}u + lid;
  if (i >= ${s.u('total', total)}) { return; }
  y[i] = x[${sum || '0u'}];
}
`;
      return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings: all, workgroups: g.workgroups })] };
    }
    // Bilinear over the last two axes (resolve rejects linear resizes of other axes); leading axes are planes.
    const h = rank >= 2 ? p.inDims[rank - 2]! : 1;
    const w = p.inDims[rank - 1]!;
    const ho = rank >= 2 ? p.outDims[rank - 2]! : 1;
    const wo = p.outDims[rank - 1]!;
    const taps = (axis: number, count: number, size: number): { idx: number[]; frac: number[] } => {
      const idx: number[] = []; const frac: number[] = [];
      for (let i = 0; i < count; i++) {
        let s = axis < 0 ? 0 : sourceCoordinate(p, axis, i);
        s = Math.min(Math.max(s, 0), size - 1);
        const lo = Math.floor(s);
        idx.push(lo, Math.min(lo + 1, size - 1)); frac.push(s - lo);
      }
      return { idx, frac };
    };
    const ty = taps(rank >= 2 ? rank - 2 : -1, ho, h);
    const tx = taps(rank - 1, wo, w);
    const index = Uint32Array.from([...ty.idx, ...tx.idx]);
    const frac = Float32Array.from([...ty.frac, ...tx.frac]);
    // The interpolation weights stay float32: they are the op's arithmetic, not the model's values.
    const all = [...bindings, { kind: 'data' as const, data: index }, { kind: 'data' as const, data: frac, exact: true }];
    const shader = `${declareBindings(all, ['x', 'y', 'idx', 'frac'], ['f32', 'f32', 'u32', 'f32'], st)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = ${g.flatGroup} * ${WORKGROUP}u + lid;
  if (i >= ${s.u('total', total)}) { return; }
  let ox = i % ${s.u('outW', wo)};
  let oy = (i / ${s.u('outW', wo)}) % ${s.u('outH', ho)};
  let src = (i / ${s.u('outPlane', ho * wo)}) * ${s.u('inPlane', h * w)};
  let r0 = src + idx[2u * oy] * ${s.u('inW', w)};
  let r1 = src + idx[2u * oy + 1u] * ${s.u('inW', w)};
  let c0 = idx[${s.u('twiceOutH', 2 * ho)} + 2u * ox];
  let c1 = idx[${s.u('twiceOutH', 2 * ho)} + 2u * ox + 1u];
  let fy = frac[oy];
  let fx = frac[${s.u('outH', ho)} + ox];
  let top = ${st.load('x[r0 + c0]')} * (1.0f - fx) + ${st.load('x[r0 + c1]')} * fx;
  let bottom = ${st.load('x[r1 + c0]')} * (1.0f - fx) + ${st.load('x[r1 + c1]')} * fx;
  y[i] = ${st.store('top * (1.0f - fy) + bottom * fy')};
}
`;
    return { kind: 'dispatches', dispatches: [s.finish({ shader, bindings: all, workgroups: g.workgroups })] };
  },
};

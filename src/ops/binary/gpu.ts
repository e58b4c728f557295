import type { BinaryKind, BinaryParams } from './cpu.js';
import type { GpuBinding } from '../kernel/gpu-dispatch.js';
import type { GpuKernel } from '../kernel/gpu-kernel.js';
import { Storage } from '../kernel/storage.js';
import { elementwiseDispatch, gatherOffset, strides } from '../kernel/wgsl.js';

function combine(kind: BinaryKind, a: string, b: string): string | undefined {
  switch (kind) {
    case 'Add': case 'Sum': case 'Mean': return `${a} + ${b}`;
    case 'Sub': return `${a} - ${b}`;
    case 'Mul': return `${a} * ${b}`;
    case 'Div': return `${a} / ${b}`;
    case 'Pow': return `powOnnx(${a}, ${b})`;
    case 'PRelu': return `select(${a} * ${b}, ${a}, ${a} >= 0.0f)`;
    case 'Max': return `max(${a}, ${b})`;
    case 'Min': return `min(${a}, ${b})`;
    default: return undefined;
  }
}

// WGSL's pow is undefined for negative bases; ONNX (like C) defines it for integral exponents.
const POW_HELPER = `fn powOnnx(a: f32, b: f32) -> f32 {
  if (a >= 0.0f) { return pow(a, b); }
  if (b != floor(b)) { return bitcast<f32>(NAN_BITS); }
  let m = pow(-a, b);
  return select(m, -m, (i32(b) & 1) == 1);
}`;

/** Two-input ops a generic kernel chooses at run time (by position), so e.g. a model's Sub and Mul share a pipeline. */
const SWITCHABLE: readonly BinaryKind[] = ['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'PRelu'];

function switchedHelper(code: string): string {
  const cases = SWITCHABLE.map((kind, k) => `    case ${k}u: { return ${combine(kind, 'a', 'b')!}; }`);
  return `fn combine(a: f32, b: f32) -> f32 {
  switch (${code}) {
${cases.join('\n')}
    default: { return 0.0f; }
  }
}`;
}

/**
 * Float element-wise binary and variadic ops (Add…Mean, PRelu) with numpy broadcasting: each input's index is
 * derived from the output index with zero strides on broadcast axes. Comparisons (bool output) stay on the CPU.
 */
export const binaryGpu: GpuKernel<BinaryParams> = {
  lower({ params, inputs, outputs, maxWorkgroupsPerDimension, shape, storage: st = Storage.f32 }) {
    const present = inputs.map((v, i) => ({ v, i })).filter((e) => e.v !== undefined);
    if (present.some((e) => e.v!.type !== 'float32') || outputs[0]!.type !== 'float32') return undefined;
    // At most 7 read bindings fit the 8-storage-buffer baseline; longer Sum/Max chains stay on the CPU.
    if (present.length > 7) return undefined;
    const outDims = params.outDims;
    const rank = outDims.length;
    const count = outDims.reduce((a, d) => a * d, 1);
    const bindings: GpuBinding[] = [{ kind: 'output', index: 0 }];
    const names = ['y'];
    const loads: string[] = [];
    const setup: string[] = [];
    present.forEach(({ v, i }, k) => {
      bindings.push({ kind: 'input', index: i });
      names.push(`in${k}`);
      const dims = [...new Array<number>(rank - v!.dims.length).fill(1), ...v!.dims];
      const same = dims.every((d, a) => d === outDims[a]);
      if (same) {
        loads.push(st.load(`in${k}[i]`));
      } else {
        const s = strides(dims).map((st, a) => (dims[a] === 1 ? 0 : st));
        setup.push(`  var o${k} = 0u;\n${gatherOffset('i', outDims, s, `o${k}`, shape)}`);
        loads.push(st.load(`in${k}[o${k}]`));
      }
    });
    if (combine(params.kind, 'a', 'b') === undefined) return undefined;
    let expr = loads[0]!;
    let helper = params.kind === 'Pow' ? POW_HELPER : '';
    if (shape.generic && loads.length === 2 && SWITCHABLE.includes(params.kind)) {
      expr = `combine(${loads[0]!}, ${loads[1]!})`;
      helper = switchedHelper(shape.u('op', SWITCHABLE.indexOf(params.kind)));
    } else {
      for (let k = 1; k < loads.length; k++) expr = combine(params.kind, expr, loads[k]!)!;
      if (params.kind === 'Mean') expr = `(${expr}) / ${loads.length}.0f`;
    }
    const body = `${setup.join('\n')}\n  y[i] = ${st.store(expr)};`;
    const d = elementwiseDispatch(count, maxWorkgroupsPerDimension, bindings, names, names.map(() => 'f32'), body, helper, shape, st);
    return { kind: 'dispatches', dispatches: [d] };
  },
};

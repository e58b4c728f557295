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
    // NaN on either side gives NaN, as in onnxruntime (WGSL's max and min may return the other operand).
    case 'Max': return `maxNan(${a}, ${b})`;
    case 'Min': return `minNan(${a}, ${b})`;
    default: return undefined;
  }
}

// WGSL's pow is exp2(b·log2(a)): undefined for negative bases and, like log, for a zero base and NaNs (SwiftShader
// gives pow(0, -1) = 1.7e38 and pow(1, NaN) = inf). ONNX follows C's pow: integral exponents of negative bases,
// ±inf for a zero base to a negative power (signed for -0 and an odd power), pow(x, 0) = pow(1, y) = 1.
const POW_HELPER = `fn isOddInteger(b: f32) -> bool { return abs(b) < 16777216.0f && b == floor(b) && (i32(b) & 1) == 1; }
fn powOnnx(a: f32, b: f32) -> f32 {
  if (b == 0.0f || a == 1.0f) { return 1.0f; }
  if (isNan(a) || isNan(b)) { return bitcast<f32>(NAN_BITS); }
  if (a == 0.0f) {
    let odd = isOddInteger(b) && (bitcast<u32>(a) & 0x80000000u) != 0u;
    let m = select(0.0f, -bitcast<f32>(NEG_INF_BITS), b < 0.0f);
    return select(m, -m, odd);
  }
  if (a > 0.0f) { return pow(a, b); }
  if (b != floor(b)) { return bitcast<f32>(NAN_BITS); }
  let m = select(pow(-a, b), 1.0f, a == -1.0f);
  return select(m, -m, isOddInteger(b));
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

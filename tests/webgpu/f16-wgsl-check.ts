/**
 * Static checks of an f16 plan's WGSL, for machines whose adapter has no shader-f16 (SwiftShader): Dawn compiles
 * an `enable f16;` shader only on a device with the feature, so what can be checked without one is its text.
 * Each check returns the problems it found (empty when the shader passes).
 */
import type { GpuBinding } from '../../src/ops/kernel/gpu-dispatch.js';

/** What a binding of the dispatch should be declared as: a stored float, float32 kept as is, or an integer word. */
export type BindingRole = 'stored-float' | 'float32' | 'integer';

/** The index just past the bracket group that opens at `open` (text[open] === '['). */
function closeBracket(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '[') depth++;
    else if (text[i] === ']' && --depth === 0) return i + 1;
  }
  return text.length;
}

/** The declared element type of each `@binding(i) var<storage…> name: array<T>;`, by binding index. */
export function storageDeclarations(shader: string): Map<number, { name: string; element: string }> {
  const out = new Map<number, { name: string; element: string }>();
  for (const m of shader.matchAll(/@binding\((\d+)\) var<storage, (?:read|read_write)> (\w+): array<(.+?)>;/g)) {
    out.set(Number(m[1]), { name: m[2]!, element: m[3]! });
  }
  return out;
}

/**
 * The problems of one f16 shader:
 * - it must open with `enable f16;` (a comment line before it is allowed);
 * - each binding is declared by its role: stored floats as f16 / vec4<f16>, float32 ones (split-K scratch, exact
 *   tables) and integer words without f16;
 * - `f16` appears nowhere else than in those declarations and in the conversion of a value being stored into an
 *   f16 binding (`name[…] = f16(…)` or `vec4<f16>(…)`): no f16 local, workgroup array, accumulator or arithmetic;
 * - every read of an f16 binding is converted at once (`f32(name[…])`, `vec4<f32>(name[…])`), or is a whole
 *   statement copying it unchanged into another f16 binding (`y[…] = x[…];`, the data-movement kernels).
 */
export function f16ShaderProblems(shader: string, roles: readonly BindingRole[]): string[] {
  const problems: string[] = [];
  const lines = shader.split('\n');
  const firstCode = lines.find((l) => !l.startsWith('//') && l.trim() !== '');
  if (firstCode !== 'enable f16;') problems.push(`first directive is '${firstCode}', not 'enable f16;'`);
  const decls = storageDeclarations(shader);
  const half = new Set<string>();
  roles.forEach((role, i) => {
    const d = decls.get(i);
    if (!d) { problems.push(`binding ${i} (${role}) is not declared as storage`); return; }
    const isHalf = d.element === 'f16' || d.element === 'vec4<f16>';
    if (role === 'stored-float' && !isHalf) problems.push(`binding ${i} '${d.name}' holds stored floats but is array<${d.element}>`);
    if (role !== 'stored-float' && d.element.includes('f16')) problems.push(`binding ${i} '${d.name}' (${role}) is array<${d.element}>`);
    if (isHalf) half.add(d.name);
  });
  // Every f16 token outside the directive and the declarations must start a store's conversion.
  const body = lines.filter((l) => l !== 'enable f16;' && !/^@group\(0\) @binding\(\d+\) var<storage/.test(l)).join('\n');
  for (const m of body.matchAll(/vec4<f16>|\bf16\b/g)) {
    const before = body.slice(Math.max(0, m.index - 200), m.index);
    const store = /(\w+)(\[[^;]*\])+ = $/.exec(before);
    if (body[m.index + m[0].length] !== '(' || !store || !half.has(store[1]!)) problems.push(`f16 outside a store conversion: …${body.slice(Math.max(0, m.index - 40), m.index + 20)}…`);
  }
  // Every read of an f16 binding.
  for (const name of half) {
    for (const m of body.matchAll(new RegExp(`\\b${name}\\[`, 'g'))) {
      const end = closeBracket(body, m.index + name.length);
      const after = body.slice(end);
      const before = body.slice(Math.max(0, m.index - 12), m.index);
      if (/(^|[^\w])(f32|i32|u32)\($|vec4<f32>\($/.test(before)) continue; // converted read (Cast converts to integers)
      if (/^(\[[^\]]*\])* = /.test(after)) continue; // the target of a store
      const copy = /(\w+)(\[[^;]*\])+ = $/.exec(body.slice(Math.max(0, m.index - 200), m.index));
      if (copy && half.has(copy[1]!) && after.startsWith(';')) continue; // an unchanged copy between f16 bindings
      problems.push(`unconverted read of f16 binding '${name}': …${body.slice(Math.max(0, m.index - 40), end + 10)}…`);
    }
  }
  return problems;
}

/** The role of each binding of a dispatch, given whether the value an input/output binding refers to is float32. */
export function bindingRoles(bindings: readonly GpuBinding[], isFloatValue: (b: GpuBinding) => boolean): BindingRole[] {
  return bindings.filter((b) => b.kind !== 'uniform').map((b): BindingRole => {
    if (b.kind === 'scratch') return 'float32';
    if (b.kind === 'data') return b.data instanceof Float32Array ? (b.exact === true ? 'float32' : 'stored-float') : 'integer';
    return isFloatValue(b) ? 'stored-float' : 'integer';
  });
}

/** The f16 text with its types renamed to f32 and its directive dropped: equal to the f32 kernel's text when both come from one template. */
export function asF32Text(shader: string): string {
  return shader.replace(/^((?:\/\/[^\n]*\n)*)enable f16;\n/, '$1').replace(/\bf16\b/g, 'f32');
}

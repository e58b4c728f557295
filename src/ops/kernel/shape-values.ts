import type { GpuBinding, GpuDispatch } from './gpu-dispatch.js';

/**
 * The layer-specific numbers a kernel writes into its WGSL (extents, strides, pads, element counts), in one of two
 * forms. `literal` writes them as constants: the shader is specialised to one layer and every index computation
 * folds when the pipeline is created — the fast kernels. `uniform` writes them as fields of a uniform struct
 * whose values travel in a binding: layers that differ only in these numbers then have the same WGSL text, hence
 * one pipeline between them. A model's generic kernels are a handful of pipelines instead of dozens, which is what
 * a first result waits for (see the tiers in backends/webgpu/plan.ts).
 *
 * Kernels ask for every such number through `u`/`i`/`f` with a name that says what it is (a name carries one value
 * per lowering; dispatches of one step share the set) and return each dispatch through `finish`.
 */
export class ShapeValues {
  private readonly fields = new Map<string, number>();

  private constructor(readonly generic: boolean) {}

  /** Numbers become WGSL literals (the specialised kernels). */
  static literal(): ShapeValues {
    return new ShapeValues(false);
  }

  /** Numbers become fields of a uniform struct (the generic kernels). */
  static uniform(): ShapeValues {
    return new ShapeValues(true);
  }

  /** A u32 expression of `value` (a non-negative integer). */
  u(name: string, value: number): string {
    if (!this.generic) return `${value}u`;
    this.record(name, value);
    return `shape.${name}`;
  }

  /** An i32 expression of `value` (an integer, possibly negative). */
  i(name: string, value: number): string {
    if (!this.generic) return `${value}`;
    this.record(name, value);
    return `bitcast<i32>(shape.${name})`;
  }

  /** An f32 expression of the integer `value` (divisors of averages). */
  f(name: string, value: number): string {
    if (!this.generic) return `${value}.0f`;
    this.record(name, value);
    return `f32(shape.${name})`;
  }

  /**
   * An f32 expression of a real `value` (an activation's alpha or beta) in a generic kernel, carried as its float32
   * bits. Specialised kernels write such values as literals themselves, so this is for generic kernels only.
   */
  bits(name: string, value: number): string {
    if (!this.generic) throw new Error(`shape value ${name}: bits() is for generic kernels`);
    this.record(name, new Uint32Array(Float32Array.of(value).buffer)[0]!);
    return `bitcast<f32>(shape.${name})`;
  }

  /**
   * The dispatch as the plan runs it: unchanged for literals; for uniforms, the struct declared in its WGSL and its
   * values bound after the kernel's own bindings. A kernel that asked for no numbers is left as it is.
   */
  finish(d: GpuDispatch): GpuDispatch {
    if (!this.generic || this.fields.size === 0) return d;
    const names = [...this.fields.keys()];
    // Padded to 16 bytes: a uniform binding's size is checked against the struct's, rounded to its alignment.
    const data = new Uint32Array(Math.ceil(names.length / 4) * 4);
    names.forEach((n, k) => { data[k] = this.fields.get(n)! >>> 0; });
    const decl = `struct Shape {\n${names.map((n) => `  ${n}: u32,`).join('\n')}\n}
@group(0) @binding(${d.bindings.length}) var<uniform> shape: Shape;\n`;
    const bindings: GpuBinding[] = [...d.bindings, { kind: 'uniform', data }];
    return { ...d, shader: decl + d.shader, bindings };
  }

  private record(name: string, value: number): void {
    if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) throw new RangeError(`shape value ${name} = ${value} is not a 32-bit integer`);
    const seen = this.fields.get(name);
    if (seen !== undefined && seen !== value) throw new RangeError(`shape value ${name} is both ${seen} and ${value} in one kernel`);
    this.fields.set(name, value);
  }
}

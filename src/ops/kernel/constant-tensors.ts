import type { TensorData } from '../../core/ir.js';

/**
 * The tensors a CPU plan holds as constants (initializers, and the graph passes' folded copies). A fast path may keep a
 * re-laid-out copy of a constant's data between runs (conv weight panels, a transposed Gemm B); any other tensor's
 * data may sit in a pooled buffer that the next run refills, so nothing made from it may be kept. Marking reads no
 * data: a lazily made constant stays unmade until a kernel first reads it.
 */
const constants = new WeakSet<TensorData>();

/** Marks a plan's constant tensors (the CPU backend does, once per plan). */
export function markConstantTensors(tensors: Iterable<TensorData>): void {
  for (const t of tensors) constants.add(t);
}

/** Whether `t` is one of a plan's constants. */
export function isConstantTensor(t: TensorData | undefined): boolean {
  return t !== undefined && constants.has(t);
}

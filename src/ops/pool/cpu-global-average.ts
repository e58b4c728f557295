import type { PoolParams } from './params.js';
import { simdKernels } from '../wasm/runtime.js';

/** Whether the global-average path covers these params (GlobalAveragePool, rank 3 or 4). */
export function globalAverageFits(p: PoolParams): boolean {
  return p.kind === 'average' && p.global;
}

/**
 * GlobalAveragePool: the mean of each (n, c) plane. On WebAssembly the input is copied into the arena in one piece and
 * one kernel call sums every plane (a landmark head's 32×24² input in microseconds, where the reference window loop
 * ran 0.2–1.3 ms in a model run once per face: it is seldom warm enough for V8 to have compiled it). The JS
 * fallback is a plain running sum per plane.
 */
export function globalAverage(p: PoolParams, x: Float32Array, y: Float32Array): void {
  const [n, c, h, w] = p.inDims;
  const planes = n * c;
  const count = h * w;
  if (planes === 0) return;
  if (count === 0) {
    // No window element: the reference's 0 divisor gives 0.
    y.fill(0);
    return;
  }
  const kernels = simdKernels();
  if (kernels) {
    const total = planes * count;
    const arena = kernels.arena(total + planes);
    arena.set(x.subarray(0, total), 0);
    kernels.planeMeans(0, count, planes, 4 * total);
    y.set(arena.subarray(total, total + planes));
    return;
  }
  for (let plane = 0, base = 0; plane < planes; plane++, base += count) {
    let sum = 0;
    for (let i = base; i < base + count; i++) sum += x[i]!;
    y[plane] = sum / count;
  }
}

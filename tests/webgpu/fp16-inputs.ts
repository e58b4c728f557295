/** The fp16 GPU tests' inputs: the test bed's files where a lent GPU machine keeps them, and seeded tensors. */
import path from 'node:path';
import { SHARED, seededRandom } from '../pipeline/helpers.js';

/** The test bed: ../shared, or on a lent GPU machine the copy bench/device/run-gpu.sh names (INSIGHTGPU_SHARED=.devassets). */
export const deviceSharedPath = (file: string): string => path.resolve(process.env['INSIGHTGPU_SHARED'] ?? SHARED, file);

/** A float32 tensor of `dims` with values uniform in [lo, hi) from `seed`. */
export function seededTensor(dims: number[], seed: number, lo: number, hi: number): { type: 'float32'; dims: number[]; data: Float32Array } {
  const random = seededRandom(seed);
  const data = new Float32Array(dims.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * random();
  return { type: 'float32', dims, data };
}

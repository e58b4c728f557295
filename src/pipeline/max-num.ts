import { PipelineOptionError } from './errors.js';
import { argsortDescending } from './sort-order.js';
import { describeValue } from './call-options.js';

const f32 = Math.fround;

/** 'default' prefers big faces near the image centre; 'max' prefers big faces. */
export type MaxNumMetric = 'default' | 'max';

/**
 * Which rows `detect(max_num)` keeps, in the order it returns them (by the metric's value, not by score):
 * box area (no +1) minus, for 'default', twice the squared distance of the box centre from the image centre.
 */
export function selectMaxNum(boxes: Float32Array, imageWidth: number, imageHeight: number, maxNum: number, metric: MaxNumMetric): number[] {
  const n = boxes.length / 4;
  const cy = Math.floor(imageHeight / 2);
  const cx = Math.floor(imageWidth / 2);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = [boxes[i * 4]!, boxes[i * 4 + 1]!, boxes[i * 4 + 2]!, boxes[i * 4 + 3]!];
    const area = f32(f32(x2 - x1) * f32(y2 - y1));
    if (metric === 'max') {
      values[i] = area;
      continue;
    }
    const ox = f32(f32(f32(x1 + x2) / 2) - cx);
    const oy = f32(f32(f32(y1 + y2) / 2) - cy);
    const off2 = f32(f32(ox * ox) + f32(oy * oy));
    values[i] = f32(area - f32(off2 * 2));
  }
  return argsortDescending(values).slice(0, maxNum);
}

/** Checks `max_num` (a non-negative integer) and the metric ('default' or 'max'); throws PipelineOptionError. */
export function checkMaxNum(maxNum: unknown, metric: unknown): void {
  if (typeof maxNum !== 'number' || !Number.isInteger(maxNum) || maxNum < 0) throw new PipelineOptionError('maxNum', `${describeValue(maxNum)} is not a non-negative integer`);
  if (metric !== 'default' && metric !== 'max') throw new PipelineOptionError('metric', `${describeValue(metric)} is not 'default' or 'max'`);
}

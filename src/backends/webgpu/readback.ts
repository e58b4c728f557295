import { elementCount, typedViewOrCopy, type TensorData } from '../../core/ir.js';
import type { ValueType } from '../../ops/kernel/op-module.js';
import { BufferUsage, MapMode } from './gpu-constants.js';

/** A buffer range to copy back: `bytes` from offset 0 of `buffer`, returned under `name`. */
export interface Read {
  readonly name: string;
  readonly buffer: GPUBuffer;
  readonly bytes: number;
}

/** Copies results into mappable staging buffers, one reusable per size class, so steady-state runs allocate nothing. */
export class ReadBack {
  private readonly staging = new Map<number, GPUBuffer>();

  constructor(private readonly device: GPUDevice) {}

  /**
   * Submits `encoder` with copies of the given buffers into a staging buffer and returns their bytes: views of one
   * copy of the mapped range (8-byte aligned each), which tensorFromBytes then views again without copying.
   */
  async submit(encoder: GPUCommandEncoder, reads: readonly Read[]): Promise<Map<string, Uint8Array>> {
    let offset = 0;
    const placed = reads.map((r) => { const at = offset; offset += readBackSlot(r.bytes); return { ...r, at }; });
    const total = Math.max(8, offset);
    let staging: GPUBuffer | undefined;
    if (reads.length > 0) {
      staging = this.stagingBuffer(total);
      for (const r of placed) encoder.copyBufferToBuffer(r.buffer, 0, staging, r.at, r.bytes);
    }
    this.device.queue.submit([encoder.finish()]);
    const out = new Map<string, Uint8Array>();
    if (!staging) return out;
    const copy = await this.collect(staging, total);
    for (const r of placed) out.set(r.name, copy.subarray(r.at, r.at + r.bytes));
    return out;
  }

  /**
   * A staging buffer of at least `bytes` for a caller that places its own copies (a group of runs copies each run's
   * outputs right after that run's dispatches); reused by the next read of its size class, so the caller collects
   * it before the next read.
   */
  stagingBuffer(bytes: number): GPUBuffer {
    const size = 2 ** Math.ceil(Math.log2(Math.max(8, bytes)));
    let b = this.staging.get(size);
    if (!b) {
      b = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST, label: 'read-back' });
      this.staging.set(size, b);
    }
    return b;
  }

  /** The first `total` bytes of a staging buffer whose copies were submitted: mapped once, copied out once. */
  async collect(staging: GPUBuffer, total: number): Promise<Uint8Array> {
    await staging.mapAsync(MapMode.READ, 0, total);
    // One copy out of the mapping, which the next run reuses.
    const copy = new Uint8Array(staging.getMappedRange(0, total)).slice();
    staging.unmap();
    return copy;
  }

  destroy(): void {
    for (const b of this.staging.values()) b.destroy();
  }

}

/** The tensor `bytes` hold: a view of them when aligned (read-back bytes always are), else a copy. */
export function tensorFromBytes(t: ValueType, bytes: Uint8Array): TensorData {
  return { type: t.type, dims: t.dims, data: typedViewOrCopy(t.type, bytes, elementCount(t.dims)) };
}

/** Bytes a read takes in a staging buffer: 8-aligned, so every result can be viewed as any element type. */
export function readBackSlot(bytes: number): number {
  return Math.ceil(bytes / 8) * 8;
}

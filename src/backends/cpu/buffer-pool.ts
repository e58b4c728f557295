import { allocateTyped, type DataType, type TypedArray } from '../../core/ir.js';

/**
 * Recycles the buffers of intermediate tensors between steps and runs, so a steady-state run allocates nothing
 * large: fresh multi-megabyte typed arrays cost page faults, zeroing by the OS and garbage collection each run.
 * Buffers are tracked by their ArrayBuffer, because ops may return views that share one (Reshape, Flatten): a
 * buffer goes back to the pool only when no live value refers to it any more.
 */
export class BufferPool {
  private readonly free = new Map<string, TypedArray[]>();
  /** ArrayBuffers this pool handed out, with the number of live values referring to each. */
  private readonly refs = new Map<ArrayBufferLike, { array: TypedArray; key: string; count: number }>();

  /**
   * @param shared - Float32 buffers in SharedArrayBuffers, so the kernel threads copy them to and from the arena
   * themselves (cpuThreads above 1).
   */
  constructor(private readonly shared = false) {}

  /**
   * A zero-filled buffer (ops may rely on fresh outputs being zero, as allocateTyped's are), or with `zeroed` false
   * a recycled one as it is, for an op that writes every element (the fill would be a wasted pass over it).
   */
  readonly allocate = (type: DataType, count: number, zeroed = true): TypedArray => {
    const key = `${type}:${count}`;
    const array = this.free.get(key)?.pop();
    if (array) {
      if (zeroed) array.fill(0 as never);
      this.refs.set(array.buffer, { array, key, count: 0 });
      return array;
    }
    const fresh = this.shared && type === 'float32' ? new Float32Array(new SharedArrayBuffer(4 * count)) : allocateTyped(type, count);
    this.refs.set(fresh.buffer, { array: fresh, key, count: 0 });
    return fresh;
  };

  /** A value now refers to `data`. */
  retain(data: TypedArray): void {
    const entry = this.refs.get(data.buffer);
    if (entry) entry.count++;
  }

  /** A value referring to `data` died; the buffer is recycled when it was the last one. */
  release(data: TypedArray): void {
    const entry = this.refs.get(data.buffer);
    if (!entry || --entry.count > 0) return;
    this.refs.delete(data.buffer);
    let list = this.free.get(entry.key);
    if (!list) this.free.set(entry.key, (list = []));
    list.push(entry.array);
  }

  /** Forgets `data` without recycling it (it leaves the backend as a run's output). */
  disown(data: TypedArray): void {
    this.refs.delete(data.buffer);
  }

  /** Buffers handed out but never retained by a value (outputs nobody named) return to the pool too. */
  reclaimUnreferenced(): void {
    for (const [buffer, entry] of this.refs) {
      if (entry.count > 0) continue;
      this.refs.delete(buffer);
      let list = this.free.get(entry.key);
      if (!list) this.free.set(entry.key, (list = []));
      list.push(entry.array);
    }
  }

  clear(): void {
    this.free.clear();
    this.refs.clear();
  }
}

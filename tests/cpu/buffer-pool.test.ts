/** Buffer recycling in the CPU backend must never change results or touch buffers the caller holds. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InferenceSession } from '../../src/session/session.js';
import { BufferPool } from '../../src/backends/cpu/buffer-pool.js';

describe('BufferPool', () => {
  it('recycles a buffer only when every value sharing it has died, and zero-fills it', () => {
    const pool = new BufferPool();
    const a = pool.allocate('float32', 8) as Float32Array;
    a.fill(3);
    pool.retain(a);
    const view = a.subarray(0, 4);
    pool.retain(view);
    pool.release(a);
    assert.notEqual(pool.allocate('float32', 8), a, 'still referenced through a view');
    pool.release(view);
    const again = pool.allocate('float32', 8);
    assert.equal(again, a);
    assert.ok(again.every((v) => v === 0));
  });

  it('hands a recycled buffer over as it is when the caller writes every element', () => {
    const pool = new BufferPool();
    const a = pool.allocate('float32', 8) as Float32Array;
    pool.retain(a);
    a.fill(3);
    pool.release(a);
    const again = pool.allocate('float32', 8, false);
    assert.equal(again, a);
    assert.ok(again.every((v) => v === 3), 'not zero-filled');
  });

  it('never recycles disowned buffers', () => {
    const pool = new BufferPool();
    const a = pool.allocate('float32', 4);
    pool.retain(a);
    pool.disown(a);
    pool.release(a);
    pool.reclaimUnreferenced();
    assert.notEqual(pool.allocate('float32', 4), a);
  });
});

const MODEL = new URL('../../../shared/models/tiny_genderage.onnx', import.meta.url);

describe('CpuBackend with recycled buffers', () => {
  it('gives the same outputs run after run, and leaves earlier outputs intact', async () => {
    const session = await InferenceSession.create(readFileSync(MODEL), { backend: 'cpu' });
    const feed = (seed: number) => ({ data: { type: 'float32' as const, dims: [1, 3, 96, 96], data: Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => Math.sin(i * seed)) } });
    const first = await session.run(feed(1));
    const firstCopy = Float32Array.from(first.fc1!.data as Float32Array);
    const other = await session.run(feed(2));
    const again = await session.run(feed(1));
    assert.deepEqual(first.fc1!.data, firstCopy, 'an earlier output was overwritten');
    assert.deepEqual(again.fc1!.data, firstCopy);
    assert.notDeepEqual(other.fc1!.data, firstCopy);
    await session.release();
  });
});

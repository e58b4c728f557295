/**
 * The WebAssembly kernels' scratch arena is given back when the last CPU session is released: the instance is
 * dropped (its memory, grown past the initial 4 MiB by a large conv, goes to the garbage collector) and the next
 * session instantiates a fresh one that computes the same result bit for bit.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferenceSession, Tensor } from '../../src/index.js';
import { simdArenaBytes } from '../../src/ops/wasm/runtime.js';
import { buildModel, DT, node, tensor, valueInfo } from '../parser/onnx-builder.js';
import { seededUniform } from '../parity/parity.js';

/** The initial arena: 64 WebAssembly pages. */
const INITIAL_BYTES = 64 * 65536;

// A stride-2 3×3 conv 3→16 on 320², whose padded input and output planes need about 7 MB of arena.
const dims = [1, 3, 320, 320];
const model = buildModel({
  nodes: [node('Conv', ['x', 'w', 'b'], ['y'], { kernel_shape: { ints: [3, 3] }, strides: { ints: [2, 2] }, pads: { ints: [1, 1, 1, 1] } })],
  inputs: [valueInfo('x', DT.FLOAT, dims)],
  outputs: [valueInfo('y', DT.FLOAT, undefined)],
  initializers: [
    tensor('w', 'float32', [16, 3, 3, 3], [...seededUniform(16 * 27, 3, -1, 1)]),
    tensor('b', 'float32', [16], [...seededUniform(16, 4, -1, 1)]),
  ],
  opsets: { '': 13 },
});
const x = seededUniform(dims.reduce((a, b) => a * b, 1), 5, -1, 1);

async function run(session: InferenceSession): Promise<Float32Array> {
  return (await session.run({ x: new Tensor('float32', x, dims) }))['y']!.data as Float32Array;
}

describe('the SIMD scratch arena', () => {
  it('stays while a CPU session holds it and is dropped when the last one is released', async () => {
    const a = await InferenceSession.create(model, { backend: 'cpu' });
    const b = await InferenceSession.create(model, { backend: 'cpu' });
    const first = await run(a);
    const grown = simdArenaBytes();
    assert.ok(grown > INITIAL_BYTES, `the conv grows the arena past its initial size (${grown} bytes)`);
    await a.release();
    assert.equal(simdArenaBytes(), grown, 'a released session leaves the arena to the one still open');
    assert.deepEqual(await run(b), first);
    await b.release();
    assert.equal(simdArenaBytes(), 0, 'no instance is live after the last release');
    await b.release();
    assert.equal(simdArenaBytes(), 0, 'a second release of the same session counts once');

    const c = await InferenceSession.create(model, { backend: 'cpu' });
    assert.equal(simdArenaBytes(), INITIAL_BYTES, 'a new session starts from a fresh arena at the initial size');
    assert.deepEqual(await run(c), first, 'the fresh instance computes the same result');
    await c.release();
    assert.equal(simdArenaBytes(), 0);
  });
});

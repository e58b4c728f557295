/** The fast conv epilogues (JS and SIMD) must give exactly the reference epilogue's floats (tolerance: bit-identical). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { applyEpilogueFast } from '../../src/ops/epilogue/cpu-fast.js';
import { applyEpilogue } from '../../src/ops/epilogue/cpu.js';
import { type Epilogue } from '../../src/ops/epilogue/params.js';
import { activationFloats, runActivation, simdActivation, stageActivation } from '../../src/ops/epilogue/cpu-simd.js';
import { simdKernels } from '../../src/ops/wasm/runtime.js';

const channels = 5;
const plane = 37;
const n = 2 * channels * plane;
const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 8);
values[3] = Number.NaN;
values[4] = -0;
const residual = { type: 'float32' as const, dims: [2, channels, plane], data: Float32Array.from({ length: n }, (_, i) => Math.cos(i * 7.1) * 4) };
const slope = Float32Array.from({ length: channels }, (_, i) => 0.1 * (i + 1));

const cases: [string, Epilogue][] = [
  ['none', { kind: 'none' }],
  ['none+residual', { kind: 'none', residual: true }],
  ['Relu', { kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 } }],
  ['Relu+residual', { kind: 'unary', unary: { kind: 'Relu', alpha: 0, beta: 0 }, residual: true }],
  ['Clip', { kind: 'unary', unary: { kind: 'Clip', alpha: -1.5, beta: 6 } }],
  ['Clip+residual', { kind: 'unary', unary: { kind: 'Clip', alpha: 0, beta: 6 }, residual: true }],
  ['Sigmoid (falls back)', { kind: 'unary', unary: { kind: 'Sigmoid', alpha: 0, beta: 0 } }],
  ['PRelu per channel', { kind: 'prelu', slope }],
  ['PRelu per channel+residual', { kind: 'prelu', slope, residual: true }],
  ['PRelu shared slope', { kind: 'prelu', slope: new Float32Array([0.25]) }],
];

for (const [name, epilogue] of cases) {
  it(`applyEpilogueFast ${name}`, () => {
    const expected = Float32Array.from(values);
    const actual = Float32Array.from(values);
    applyEpilogue(epilogue, expected, channels, plane, residual);
    applyEpilogueFast(epilogue, actual, channels, plane, residual);
    assert.deepEqual(actual, expected);
  });
}

// The SIMD activations the conv kernels apply in their arena: the same floats as the reference epilogue, bit for
// bit (NaN and −0 included), on rows of plane floats padded to whole v128 as the kernels lay them out.
for (const [name, epilogue] of cases) {
  const act = simdActivation(epilogue, channels);
  if (!act) continue;
  it(`SIMD activation ${name}`, () => {
    const kernels = simdKernels();
    assert.ok(kernels, 'WebAssembly SIMD unavailable');
    const expected = Float32Array.from(values);
    applyEpilogue(epilogue, expected, channels, plane, residual);
    const rowLd = Math.ceil(plane / 4) * 4;
    const rows = n / plane;
    const paramsOff = 0;
    const dataOff = activationFloats(act, channels);
    const arena = kernels.arena(dataOff + rows * rowLd);
    stageActivation(arena, paramsOff, act, 0, channels);
    for (let r = 0; r < rows; r++) arena.set(values.subarray(r * plane, (r + 1) * plane), dataOff + r * rowLd);
    runActivation(kernels, act, paramsOff, dataOff, rowLd / 4, channels, rows / channels);
    for (let i = 0; i < n; i++) {
      const got = arena[dataOff + Math.floor(i / plane) * rowLd + (i % plane)];
      assert.ok(Object.is(got, expected[i]), `element ${i}: ${got} ≠ ${expected[i]}`);
    }
  });
}

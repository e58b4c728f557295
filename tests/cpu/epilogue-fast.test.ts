/** The fast conv epilogue must give exactly the reference epilogue's floats (tolerance: bit-identical). */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { applyEpilogueFast } from '../../src/ops/epilogue/cpu-fast.js';
import { applyEpilogue } from '../../src/ops/epilogue/cpu.js';
import { type Epilogue } from '../../src/ops/epilogue/params.js';

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

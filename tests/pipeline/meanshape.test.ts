/**
 * The 68-point mean face the pose fit uses is InsightFace's meanshape_68.pkl as the test bed's spec writes it out
 * (../shared/spec/meanshape_68.json): every one of the 204 values the same float32.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MEANSHAPE_68 } from '../../src/pipeline/pose.js';
import { sharedPath } from './helpers.js';

describe('MEANSHAPE_68', () => {
  it('equals the spec\'s meanshape_68.json, value for value in float32', () => {
    const spec = JSON.parse(readFileSync(sharedPath('spec', 'meanshape_68.json'), 'utf8')) as { shape: number[]; rows: number[][] };
    assert.deepEqual(spec.shape, [68, 3]);
    const want = Float32Array.from(spec.rows.flat());
    assert.equal(MEANSHAPE_68.length, want.length);
    // Exact: both are the same float32 values, written as decimals that round back to them.
    assert.deepEqual(Array.from(MEANSHAPE_68), Array.from(want));
  });
});

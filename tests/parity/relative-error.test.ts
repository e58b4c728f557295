/**
 * maxRelativeError, the comparison every parity and graph-pass test reports: a NaN or ±∞ of ours where onnxruntime
 * has a number must fail it wherever in the tensor it sits, and the same non-finite value on both sides must not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxRelativeError } from './parity.js';

describe('maxRelativeError', () => {
  it('is the largest difference over the largest reference magnitude', () => {
    assert.equal(maxRelativeError([1, 2.5, -4], [1, 2, -4]), 0.5 / 4);
  });

  for (const [what, bad] of [['NaN', NaN], ['+∞', Infinity], ['−∞', -Infinity]] as const) {
    for (const at of [0, 1, 2]) {
      it(`is Infinity for a ${what} of ours at element ${at} of 3 where the reference is finite`, () => {
        const ours = [1, 2, 3];
        ours[at] = bad;
        assert.equal(maxRelativeError(ours, [1, 2, 3]), Infinity);
        assert.equal(maxRelativeError([1, 2, 3], ours), Infinity, 'and the other way round');
      });
    }
  }

  it('takes NaN where the reference has NaN, and an infinity of the same sign, as agreeing', () => {
    assert.equal(maxRelativeError([NaN, Infinity, 2, -Infinity], [NaN, Infinity, 2, -Infinity]), 0);
    assert.equal(maxRelativeError([Infinity, 2], [-Infinity, 2]), Infinity);
  });
});

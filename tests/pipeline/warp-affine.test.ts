import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invertAffine, type Affine2x3 } from '../../src/pipeline/affine.js';
import { warpAffine } from '../../src/pipeline/preprocess/warp-affine.js';
import { bilinearReference, imageFrom, px, seededRandom } from './helpers.js';

describe('warpAffine (OpenCV INTER_LINEAR, BORDER_CONSTANT 0)', () => {
  const rnd = seededRandom(10);
  const img = imageFrom(20, 16, () => Math.floor(rnd() * 256));

  it('identity reproduces the image', () => {
    assert.deepEqual(warpAffine(img, [1, 0, 0, 0, 1, 0], 20, 16).data, img.data);
  });

  it('integer translation shifts pixels and fills the border with 0', () => {
    const out = warpAffine(img, [1, 0, 3, 0, 1, -2], 20, 16);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 20; x++) for (let c = 0; c < 3; c++) {
      const sx = x - 3, sy = y + 2;
      const expected = sx >= 0 && sx < 20 && sy >= 0 && sy < 16 ? px(img, sx, sy, c) : 0;
      assert.equal(px(out, x, y, c), expected, `${x},${y}`);
    }
  });

  it('a half-pixel shift averages neighbours, rounding half up', () => {
    const out = warpAffine(img, [1, 0, -0.5, 0, 1, 0], 19, 16);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 19; x++) for (let c = 0; c < 3; c++) {
      assert.equal(px(out, x, y, c), (px(img, x, y, c) + px(img, x + 1, y, c) + 1) >> 1);
    }
  });

  it('stays within 2 levels of float64 bilinear sampling for random similarity transforms', () => {
    const smooth = imageFrom(40, 30, (x, y, c) => Math.round(127 + 100 * Math.sin(0.15 * x + 0.1 * y + c)));
    for (let trial = 0; trial < 10; trial++) {
      const angle = (rnd() - 0.5) * 1.2, scale = 0.5 + rnd() * 1.5;
      const m: Affine2x3 = [scale * Math.cos(angle), -scale * Math.sin(angle), rnd() * 10 - 5, scale * Math.sin(angle), scale * Math.cos(angle), rnd() * 10 - 5];
      const out = warpAffine(smooth, m, 32, 32);
      const inv = invertAffine(m);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
        const sx = inv[0] * x + inv[1] * y + inv[2], sy = inv[3] * x + inv[4] * y + inv[5];
        // Near the border the zero padding meets 1/32-px quantisation; compare the interior only.
        if (sx < 1 || sy < 1 || sx > 38 || sy > 28) continue;
        for (let c = 0; c < 3; c++) {
          const ref = bilinearReference(smooth, sx, sy, c, false);
          assert.ok(Math.abs(px(out, x, y, c) - ref) <= 2, `trial ${trial} at ${x},${y}: ${px(out, x, y, c)} vs ${ref.toFixed(2)}`);
        }
      }
    }
  });

  it('maps a far-away source region to zeros', () => {
    const out = warpAffine(img, [1, 0, -1e6, 0, 1, 1e6], 8, 8);
    assert.ok(out.data.every((v) => v === 0));
  });
});

describe('invertAffine', () => {
  it('inverts a similarity (M · M⁻¹ = I)', () => {
    const m: Affine2x3 = [0.8, -0.6, 5, 0.6, 0.8, -3];
    const inv = invertAffine(m);
    const x = 3.5, y = -2.25;
    const fx = m[0] * x + m[1] * y + m[2], fy = m[3] * x + m[4] * y + m[5];
    assert.ok(Math.abs(inv[0] * fx + inv[1] * fy + inv[2] - x) < 1e-12);
    assert.ok(Math.abs(inv[3] * fx + inv[4] * fy + inv[5] - y) < 1e-12);
  });
});

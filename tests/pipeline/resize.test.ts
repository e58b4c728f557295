import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resizeBilinear } from '../../src/pipeline/preprocess/resize.js';
import { bilinearReference, imageFrom, px, seededRandom } from './helpers.js';

describe('resizeBilinear (OpenCV INTER_LINEAR, fixed point)', () => {
  it('copies when the size does not change', () => {
    const rnd = seededRandom(1);
    const img = imageFrom(7, 5, () => Math.floor(rnd() * 256));
    assert.deepEqual(resizeBilinear(img, 7, 5).data, img.data);
  });

  it('an exact 2× downscale is the rounded 2×2 mean (what OpenCV runs as INTER_AREA)', () => {
    const rnd = seededRandom(2);
    const img = imageFrom(16, 10, () => Math.floor(rnd() * 256));
    const out = resizeBilinear(img, 8, 5);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 8; x++) for (let c = 0; c < 3; c++) {
      const sum = px(img, 2 * x, 2 * y, c) + px(img, 2 * x + 1, 2 * y, c) + px(img, 2 * x, 2 * y + 1, c) + px(img, 2 * x + 1, 2 * y + 1, c);
      assert.equal(px(out, x, y, c), (sum + 2) >> 2, `pixel ${x},${y},${c}`);
    }
  });

  it('keeps constant images constant and the last column single-tap', () => {
    for (const v of [0, 1, 127, 254, 255]) {
      const out = resizeBilinear(imageFrom(3, 2, () => v), 11, 7);
      assert.ok(out.data.every((p) => p === v), `constant ${v}`);
    }
    // 2 px wide → 8: destination columns mapping beyond the last source column read it alone.
    const img = imageFrom(2, 1, (x) => (x === 0 ? 0 : 200));
    const out = resizeBilinear(img, 8, 1);
    assert.equal(px(out, 7, 0, 0), 200);
    assert.equal(px(out, 6, 0, 0), 200);
    assert.equal(px(out, 0, 0, 0), 0);
  });

  it('stays within 1 level of float64 bilinear interpolation on random sizes', () => {
    const rnd = seededRandom(3);
    for (let trial = 0; trial < 20; trial++) {
      const w = 2 + Math.floor(rnd() * 40), h = 2 + Math.floor(rnd() * 40);
      const W = 1 + Math.floor(rnd() * 60), H = 1 + Math.floor(rnd() * 60);
      // Smooth content keeps the reference's and the fixed point's rounding apart by < 1 level.
      const img = imageFrom(w, h, (x, y, c) => Math.round(127 + 120 * Math.sin(0.3 * x + 0.2 * y + c)));
      const out = resizeBilinear(img, W, H);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
        const sx = Math.max(0, Math.min((x + 0.5) * (w / W) - 0.5, w - 1));
        const sy = (y + 0.5) * (h / H) - 0.5;
        const ref = bilinearReference(img, sx, sy, c, true);
        assert.ok(Math.abs(px(out, x, y, c) - ref) <= 1.01, `${w}×${h}→${W}×${H} at ${x},${y}: ${px(out, x, y, c)} vs ${ref}`);
      }
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { axisTaps, resizeBilinear, resizeBilinearInto } from '../../src/pipeline/preprocess/resize.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { bilinearReference, imageFrom, px, seededRandom } from './helpers.js';

/**
 * The resize as one expression per output byte, from the same taps and shifts, with no row cache or strides: what
 * resizeBilinear's cached two-pass loops must reproduce byte for byte.
 */
function referenceResize(img: BgrImage, W: number, H: number): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  if (img.width === W && img.height === H) { out.set(img.data); return out; }
  const cols = axisTaps(W, img.width, true);
  const rows = axisTaps(H, img.height, false);
  const clampRow = (r: number): number => Math.min(Math.max(r, 0), img.height - 1);
  const horizontal = (r: number, x: number, c: number): number => {
    const s = (r * img.width + cols.index[x]!) * 3 + c;
    return img.data[s]! * cols.w0[x]! + (cols.w1[x] === 0 ? 0 : img.data[s + 3]! * cols.w1[x]!);
  };
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 3; c++) {
    const t0 = horizontal(clampRow(rows.index[y]!), x, c);
    const t1 = horizontal(clampRow(rows.index[y]! + 1), x, c);
    const v = ((((t0 >> 4) * rows.w0[y]!) >> 16) + (((t1 >> 4) * rows.w1[y]!) >> 16) + 2) >> 2;
    out[(y * W + x) * 3 + c] = Math.min(255, Math.max(0, v));
  }
  return out;
}

describe('resizeBilinear matches the per-byte reference exactly', () => {
  // 1×1, the same size, one-row and one-column images, widths not a multiple of 4, up- and downscales, and t1.jpg → 640×443.
  const cases: [number, number, number, number][] = [
    [1, 1, 1, 1], [7, 5, 7, 5], [1, 1, 5, 3], [3, 1, 1, 1], [1, 7, 2, 3], [5, 3, 5, 7], [7, 5, 3, 2], [33, 17, 10, 9], [10, 9, 33, 17],
    [13, 11, 13, 4], [64, 48, 21, 48], [1280, 886, 640, 443], [1920, 1080, 640, 360],
  ];
  for (const [w, h, W, H] of cases) {
    it(`${w}×${h} → ${W}×${H}`, () => {
      const rnd = seededRandom(w * 7919 + h * 31 + W);
      const img = imageFrom(w, h, () => Math.floor(rnd() * 256));
      const want = referenceResize(img, W, H);
      assert.deepEqual(resizeBilinear(img, W, H).data, want);
      // Into a wider canvas: the rows land at the stride and the bytes past each row stay as they were.
      const stride = W * 3 + 5;
      const canvas = new Uint8Array(stride * H + 4).fill(77);
      resizeBilinearInto(img, W, H, canvas, stride);
      for (let y = 0; y < H; y++) {
        assert.deepEqual(canvas.subarray(y * stride, y * stride + W * 3), want.subarray(y * W * 3, (y + 1) * W * 3), `row ${y}`);
        assert.ok(canvas.subarray(y * stride + W * 3, (y + 1) * stride).every((v) => v === 77), `padding after row ${y}`);
      }
      assert.ok(canvas.subarray(stride * H).every((v) => v === 77), 'bytes after the last row');
    });
  }
});

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

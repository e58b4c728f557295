/** The paste-back primitives of INSwapper: float32 warp, erode, Gaussian blur, the paste mask and the blend. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Affine2x3 } from '../../../src/pipeline/affine.js';
import { warpAffine, warpAffineFloat32 } from '../../../src/pipeline/preprocess/warp-affine.js';
import { erodeRect } from '../../../src/pipeline/swap/erode.js';
import { gaussianBlur, gaussianKernel, reflect101 } from '../../../src/pipeline/swap/gaussian-blur.js';
import { pasteBack, pasteMask } from '../../../src/pipeline/swap/paste-back.js';
import { ImageError } from '../../../src/pipeline/errors.js';
import { imageFrom, px, seededRandom } from '../helpers.js';

describe('warpAffineFloat32 (OpenCV INTER_LINEAR on float32, BORDER_CONSTANT 0)', () => {
  const rnd = seededRandom(7);
  it('agrees with the uint8 warp: on integer pixels the float weights are exact, and uint8 rounds half up', () => {
    const img = imageFrom(30, 20, () => Math.floor(rnd() * 256));
    for (let trial = 0; trial < 8; trial++) {
      const angle = (rnd() - 0.5) * 2, scale = 0.4 + rnd() * 1.6;
      const m: Affine2x3 = [scale * Math.cos(angle), -scale * Math.sin(angle), rnd() * 20 - 10, scale * Math.sin(angle), scale * Math.cos(angle), rnd() * 20 - 10];
      const u8 = warpAffine(img, m, 25, 25);
      for (let c = 0; c < 3; c++) {
        const plane = Float32Array.from({ length: 30 * 20 }, (_, i) => img.data[i * 3 + c]!);
        const f = warpAffineFloat32(plane, 30, 20, m, 25, 25);
        for (let i = 0; i < f.length; i++) assert.equal(u8.data[i * 3 + c], Math.floor(f[i]! + 0.5), `trial ${trial} pixel ${i} channel ${c}`);
      }
    }
  });

  it('a warped field of 255s is exactly 255 wherever every weighted tap is inside', () => {
    const white = new Float32Array(16 * 16).fill(255);
    const out = warpAffineFloat32(white, 16, 16, [1, 0, 4, 0, 1, 3], 30, 30);
    for (let y = 0; y < 30; y++) for (let x = 0; x < 30; x++) {
      assert.equal(out[y * 30 + x], x >= 4 && x < 20 && y >= 3 && y < 19 ? 255 : 0, `${x},${y}`);
    }
  });
});

describe('erodeRect (cv2.erode with ones(k, k))', () => {
  const rnd = seededRandom(3);
  const w = 17, h = 13;
  const img = Float32Array.from({ length: w * h }, () => Math.floor(rnd() * 100));
  for (const k of [1, 2, 3, 4, 10]) {
    it(`k = ${k}: minimum over the window anchored at k // 2, the outside ignored (+∞)`, () => {
      const out = erodeRect(img, w, h, k);
      const a = Math.floor(k / 2);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        let m = Infinity;
        for (let yy = y - a; yy < y - a + k; yy++) for (let xx = x - a; xx < x - a + k; xx++) {
          if (xx >= 0 && yy >= 0 && xx < w && yy < h) m = Math.min(m, img[yy * w + xx]!);
        }
        assert.equal(out[y * w + x], m, `${x},${y}`);
      }
    });
  }
});

describe('Gaussian blur (cv2.GaussianBlur, sigma 0, BORDER_REFLECT_101)', () => {
  it('reflect101 mirrors without repeating the edge, and a one-pixel line reads index 0', () => {
    assert.deepEqual([-3, -2, -1, 0, 4, 5, 6, 7].map((p) => reflect101(p, 5)), [3, 2, 1, 0, 4, 3, 2, 1]);
    assert.equal(reflect101(-7, 3), 1); // reflected more than once, as borderInterpolate loops
    assert.equal(reflect101(5, 1), 0);
  });

  it('the kernel is exp(−x²/2σ²) normalised, σ = 0.3((ksize − 1)/2 − 1) + 0.8, stored as float32', () => {
    for (const ksize of [11, 13, 17, 31]) {
      const k = gaussianKernel(ksize);
      const sigma = 0.3 * ((ksize - 1) * 0.5 - 1) + 0.8;
      const raw = Array.from({ length: ksize }, (_, i) => Math.exp(-((i - (ksize - 1) / 2) ** 2) / (2 * sigma * sigma)));
      const sum = raw.reduce((a, b) => a + b, 0);
      raw.forEach((v, i) => assert.equal(k[i], Math.fround(v / sum), `ksize ${ksize} tap ${i}`));
    }
    assert.deepEqual(Array.from(gaussianKernel(5)), [0.0625, 0.25, 0.375, 0.25, 0.0625]); // OpenCV's fixed small table
  });

  it('matches a float64 2-D reference within float32 rounding, reflecting at the borders', () => {
    const rnd = seededRandom(5);
    const w = 23, h = 9, ksize = 11; // the kernel is wider than the image is tall: rows reflect more than once
    const img = Float32Array.from({ length: w * h }, () => rnd() * 255);
    const out = gaussianBlur(img, w, h, ksize);
    const k = gaussianKernel(ksize);
    const r = (ksize - 1) / 2;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      for (let j = -r; j <= r; j++) for (let i = -r; i <= r; i++) s += k[j + r]! * k[i + r]! * img[reflect101(y + j, h) * w + reflect101(x + i, w)]!;
      assert.ok(Math.abs(out[y * w + x]! - s) < 1e-3, `${x},${y}: ${out[y * w + x]} vs ${s}`);
    }
  });

  it('a one-row image is blurred along the row only, a 1×1 image is copied', () => {
    const row = Float32Array.from([0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0]);
    const out = gaussianBlur(row, 12, 1, 11);
    const twoD = gaussianBlur(Float32Array.from([...row, ...row]), 12, 2, 11);
    assert.ok(Math.abs(out[3]! - twoD[3]!) < 1e-4 && out[3]! < 255 && out[3]! > 0);
    assert.deepEqual(Array.from(gaussianBlur(Float32Array.from([42.5]), 1, 1, 11)), [42.5]);
  });
});

describe('erode and blur restricted to the non-zero region give the full filters\' result', () => {
  const rnd = seededRandom(9);
  const w = 40, h = 30;
  // Non-zero only in columns 0…11 and rows 18…29: touching two borders, so reflection matters.
  const region = { x0: 0, y0: 18, x1: 12, y1: 30 };
  const img = Float32Array.from({ length: w * h }, (_, i) => {
    const x = i % w, y = Math.floor(i / w);
    return x < region.x1 && y >= region.y0 ? 1 + Math.floor(rnd() * 254) : 0;
  });
  it('erode', () => assert.deepEqual(erodeRect(img, w, h, 6, region), erodeRect(img, w, h, 6)));
  it('blur', () => assert.deepEqual(gaussianBlur(img, w, h, 11, 0, region), gaussianBlur(img, w, h, 11)));
});

describe('pasteMask and pasteBack', () => {
  // The crop sits at (20, 30) of a 200×190 image: M (image → crop) is a translation by (−20, −30).
  const m: Affine2x3 = [1, 0, -20, 0, 1, -30];

  it('sizes the erosion and blur from the fully covered box, as InsightFace does', () => {
    const { mask, maskSize, erodeSize, blurSize } = pasteMask(m, 128, 200, 190);
    // 255s cover columns 20…147 and rows 30…157: mask_h = mask_w = 127.
    assert.equal(maskSize, 127);
    assert.equal(erodeSize, 12);
    assert.equal(blurSize, 13);
    assert.equal(mask[0], 0);
    // The float32 kernel's taps sum to 1 only up to rounding: the centre comes out as 1 + 1 ulp here.
    assert.ok(Math.abs(mask[(30 + 64) * 200 + 20 + 64]! - 1) < 2.5e-7, 'the centre pastes the crop');
    // Erosion by 12 (anchor 6) keeps 255 from column 26 on; the 13-tap blur (radius 6) reaches back to column 20.
    assert.equal(mask[(30 + 64) * 200 + 19], 0);
    assert.ok(mask[(30 + 64) * 200 + 20]! > 0 && mask[(30 + 64) * 200 + 20]! < 0.01);
  });

  it('blends in float32 and truncates: the centre is the crop, far away the image is untouched', () => {
    const image = imageFrom(200, 190, (x, y, c) => (x + 2 * y + 50 * c) % 256);
    const crop = imageFrom(128, 128, (x, y, c) => (3 * x + y + 7 * c) % 256);
    const out = pasteBack(image, crop, m);
    for (const c of [0, 1, 2]) {
      // ±1: the centre's mask is 1 + 1 ulp, so mask·fake + (1 − mask)·image can land just under the crop's value
      // and truncate one level down (InsightFace's own output does the same).
      assert.ok(Math.abs(px(out, 84, 94, c) - px(crop, 64, 64, c)) <= 1);
      assert.equal(px(out, 5, 5, c), px(image, 5, 5, c));
      assert.equal(px(out, 190, 180, c), px(image, 190, 180, c));
    }
  });

  it('refuses a crop that covers no pixel of the image (InsightFace fails on the empty index list too)', () => {
    assert.throws(() => pasteMask([1, 0, 500, 0, 1, 500], 128, 1, 1), ImageError);
  });
});

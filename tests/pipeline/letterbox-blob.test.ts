import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobFromImages } from '../../src/pipeline/preprocess/blob.js';
import { letterbox, letterboxGeometry } from '../../src/pipeline/preprocess/letterbox.js';
import { ImageError } from '../../src/pipeline/errors.js';
import { imageFrom } from './helpers.js';

describe('letterbox (SCRFD.detect input)', () => {
  it('fits by the limiting side with truncation and a height-based det_scale', () => {
    // t1.jpg at 640 and 320: the width limits; new_h = int(new_w · 886/1280).
    assert.deepEqual(letterboxGeometry(1280, 886, [640, 640]), { resizedWidth: 640, resizedHeight: 443, detScale: 443 / 886 });
    assert.deepEqual(letterboxGeometry(1280, 886, [320, 320]), { resizedWidth: 320, resizedHeight: 221, detScale: 221 / 886 });
    // A tall image: the height limits; new_w = int(H / (h/w)).
    const tall = letterboxGeometry(300, 1000, [640, 480]);
    assert.deepEqual([tall.resizedWidth, tall.resizedHeight], [Math.trunc(480 / (1000 / 300)), 480]);
    assert.equal(tall.detScale, 480 / 1000);
    // det_scale is the height ratio even when the width ratio differs after truncation.
    const g = letterboxGeometry(1000, 333, [640, 640]);
    assert.equal(g.detScale, g.resizedHeight / 333);
  });

  it('pastes at the top-left over black', () => {
    const img = imageFrom(64, 32, () => 200);
    const { image, detScale } = letterbox(img, [128, 128]);
    assert.equal(detScale, 2);
    assert.equal(image.data[(10 * 128 + 100) * 3], 200);
    assert.equal(image.data[(63 * 128 + 127) * 3 + 2], 200);
    assert.equal(image.data[(64 * 128 + 0) * 3], 0);
    assert.equal(image.data[(127 * 128 + 127) * 3 + 1], 0);
  });

  it('refuses aspect ratios that leave no pixel', () => {
    assert.throws(() => letterboxGeometry(1, 5000, [640, 640]), ImageError);
  });
});

describe('blobFromImages', () => {
  it('swaps to RGB planes and applies f32(x − mean) × f32(1/std)', () => {
    const img = imageFrom(2, 1, (x, _y, c) => [10, 20, 30][c]! + x);
    const blob = blobFromImages([img], { mean: 127.5, std: 128 });
    assert.deepEqual(blob.dims, [1, 3, 1, 2]);
    const expected = (v: number): number => Math.fround(Math.fround(v - 127.5) * Math.fround(1 / 128));
    // Plane 0 is R (BGR index 2).
    assert.deepEqual(Array.from(blob.data as Float32Array), [30, 31, 20, 21, 10, 11].map(expected));
    // Black padding of the detector input.
    assert.equal(blobFromImages([imageFrom(1, 1, () => 0)], { mean: 127.5, std: 128 }).data[0], -0.99609375);
  });

  it('multiplies by f32(1/127.5) rather than dividing (ArcFace)', () => {
    const blob = blobFromImages([imageFrom(256, 1, (x) => x)], { mean: 127.5, std: 127.5 });
    const data = blob.data as Float32Array;
    const scale = Math.fround(1 / 127.5);
    let differsFromDivision = 0;
    for (let v = 0; v < 256; v++) {
      assert.equal(data[v], Math.fround((v - 127.5) * scale));
      if (data[v] !== Math.fround((v - 127.5) / 127.5)) differsFromDivision++;
    }
    assert.ok(differsFromDivision > 0, 'the two roundings should differ somewhere, or this test checks nothing');
  });
});

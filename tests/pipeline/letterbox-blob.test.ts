import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blobFromImages } from '../../src/pipeline/preprocess/blob.js';
import { letterbox, letterboxGeometry } from '../../src/pipeline/preprocess/letterbox.js';
import { ImageError } from '../../src/pipeline/errors.js';
import { fromRawImage, type BgrImage, type RawImage } from '../../src/pipeline/image.js';
import { resizeBilinear } from '../../src/pipeline/preprocess/resize.js';
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

  it('raw RGB, RGBA and BGR give the blob of a plain conversion, resize and paste, byte for byte', () => {
    // Sizes: 1×1, widths not a multiple of 4, odd sizes, larger and smaller than the canvas, t1.jpg's.
    const sizes: [number, number][] = [[1, 1], [3, 1], [5, 7], [37, 23], [401, 199], [1280, 886]];
    for (const [w, h] of sizes) {
      for (const format of ['rgb', 'rgba', 'bgr'] as const) {
        const ch = format === 'rgba' ? 4 : 3;
        const data = new Uint8Array(w * h * ch);
        for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761 + w) >>> 24;
        // The reference: channel by channel to BGR, resized alone, pasted row by row into a zero canvas.
        const bgr = new Uint8Array(w * h * 3);
        for (let p = 0; p < w * h; p++) {
          for (let c = 0; c < 3; c++) bgr[p * 3 + c] = data[p * ch + (format === 'bgr' ? c : 2 - c)]!;
        }
        const size: [number, number] = [320, 256];
        const g = letterboxGeometry(w, h, size);
        const resized = resizeBilinear({ width: w, height: h, data: bgr }, g.resizedWidth, g.resizedHeight);
        const canvas = new Uint8Array(size[0] * size[1] * 3);
        for (let y = 0; y < g.resizedHeight; y++) {
          canvas.set(resized.data.subarray(y * g.resizedWidth * 3, (y + 1) * g.resizedWidth * 3), y * size[0] * 3);
        }
        const want: BgrImage = { width: size[0], height: size[1], data: canvas };
        const raw: RawImage = { data, width: w, height: h, format };
        const got = letterbox(fromRawImage(raw), size);
        assert.deepEqual(got.image.data, want.data, `${format} ${w}×${h}`);
        assert.equal(got.detScale, g.detScale);
        const norm = { mean: 127.5, std: 128 };
        assert.deepEqual(blobFromImages([got.image], norm).data, blobFromImages([want], norm).data, `${format} ${w}×${h} blob`);
      }
    }
  });

  it('refuses aspect ratios that leave no pixel', () => {
    assert.throws(() => letterboxGeometry(1, 5000, [640, 640]), ImageError);
  });

  it('says a target size that is not two positive integers is the size at fault, not the aspect ratio', () => {
    // Before: [0, 5] and [NaN, 2] read as "its aspect ratio is too extreme", or passed with NaN geometry.
    for (const size of [[0, 5], [640, -1], [Number.NaN, 2], [100.5, 100]] as const) {
      assert.throws(() => letterboxGeometry(4, 4, size as unknown as [number, number]), (e) => e instanceof ImageError && /letterbox size .* is not two positive integers/.test(e.message), String(size));
    }
  });

  it('says a fractional row stride is not an integer, rather than shorter than a row', () => {
    assert.throws(() => fromRawImage({ data: new Uint8Array(20), width: 1, height: 2, format: 'rgb', stride: 3.5 }), (e) => e instanceof ImageError && /row stride 3.5 is not a whole number of bytes/.test(e.message));
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

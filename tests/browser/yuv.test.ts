/**
 * YUV camera frames in chromium: a VideoFrame made from I420 bytes goes through the pipeline's WebGPU frame upload,
 * compared with the browser's own RGBA conversions of the same frame (page side: yuv-page.ts).
 *
 * What it proves: for limited-range BT.601 and BT.709 frames (what cameras and decoders deliver), the bytes the
 * pre-processing kernels read are exactly the browser's YUV → sRGB conversion, the one `getImageData` and
 * `VideoFrame.copyTo({ format: 'RGBA' })` return, so faces equal those of `get` on those bytes. The conversion is the
 * browser's (matrix, range and transfer taken from the frame's colorSpace; we never convert YUV ourselves); on
 * SwiftShader the frame reaches the texture through `createImageBitmap`. I420 has no alpha, so every alpha is 255 and
 * premultiplying (turned off on both the bitmap and the texture copy anyway) cannot change a value.
 *
 *   node --import tsx --test tests/browser/yuv.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUN_MS, useChromium } from './chromium-fixture.js';

import type { MatrixName, YuvReport } from './yuv-page.js';

const chromium = useChromium();

async function report(matrix: MatrixName, faces: boolean): Promise<YuvReport> {
  const { page, errors } = await chromium.openPage('/web/index.html', { defaultTimeoutMs: RUN_MS });
  const r = await page.evaluate(`import('/tests/browser/yuv-page.ts').then((m) => m.checkYuv('${matrix}', { faces: ${faces} }))`) as YuvReport;
  await page.close();
  assert.deepEqual(errors, []);
  console.log(JSON.stringify(r));
  return r;
}

describe('I420 VideoFrames in chromium', { timeout: 1_200_000 }, () => {
  // Faces only for BT.709 (HD cameras' matrix): SwiftShader's detection costs tens of seconds, and identical pixels
  // decide identical faces anyway.
  for (const [matrix, faces] of [['bt601', false], ['bt709', true]] as const) {
    test(`${matrix}, limited range`, async () => {
      const r = await report(matrix, faces);
      assert.equal(r.copyToRgba, true, "chromium converts with VideoFrame.copyTo({ format: 'RGBA' })");
      // Exact: the upload's bytes are the browser's own YUV → sRGB conversion (the one getImageData and copyTo give).
      assert.deepEqual(r.uploadVsCopyTo, { maxAbs: 0, differing: 0, meanAbs: 0 }, 'upload vs copyTo RGBA');
      assert.deepEqual(r.uploadVsCanvas, { maxAbs: 0, differing: 0, meanAbs: 0 }, 'upload vs canvas');
      assert.equal(r.opaque, true, 'I420 converts to alpha 255 everywhere');
      if (faces) {
        assert.ok(r.faces >= 3, `only ${r.faces} faces: the face comparison would prove little`);
        assert.equal(r.facesVsCopyToBytes, true, 'faces of the VideoFrame vs faces of its copyTo bytes');
        assert.equal(r.facesVsCanvasBytes, true, 'faces of the VideoFrame vs faces of its canvas bytes');
      }
      // The browser decodes with the matrix the frame names, in fixed point: measured max 1 (BT.601) and 6 (BT.709)
      // levels from the float64 formula, mean under 1; the other matrix is on average more than twice as far.
      assert.ok(r.canvasVsFormula.maxAbs <= 8 && r.canvasVsFormula.meanAbs < 1, `canvas vs ${matrix} formula: ${JSON.stringify(r.canvasVsFormula)}`);
      assert.ok(r.canvasVsOtherMatrix.meanAbs > 2 * r.canvasVsFormula.meanAbs, `other matrix: ${JSON.stringify(r.canvasVsOtherMatrix)}`);
    });
  }
});

/**
 * Real-time inputs in chromium (headless, WebGPU through SwiftShader): browser frames uploaded straight to the GPU
 * give the same faces as the same pixels as bytes, and the Worker mode returns results, typed errors and releases
 * its device. The page-side halves are in realtime-page.ts.
 *
 *   node --import tsx --test tests/browser/realtime.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from '../../web/server/headless.js';
import { RUN_MS, useChromium } from './chromium-fixture.js';
import type { FramesReport, TrackedFramesReport, WorkerReport } from './realtime-page.js';

const chromium = useChromium();

// Any page of the site gives a secure context with vite's module transform; the index is the lightest.
const openPage = (): Promise<{ page: Page; errors: string[] }> => chromium.openPage('/web/index.html', { defaultTimeoutMs: RUN_MS });

/** Runs an export of realtime-page.ts in the page; a string, since tsx's helpers do not exist inside the page. */
function inPage<T>(page: Page, call: string): Promise<T> {
  return page.evaluate(`import('/tests/browser/realtime-page.ts').then((m) => m.${call})`) as Promise<T>;
}

describe('real-time inputs in chromium', { timeout: 1_800_000 }, () => {
  let bytesJson = '';

  test('VideoFrame, ImageBitmap and canvases on WebGPU: the same faces as the same pixels as bytes, with no pixel read-back', async () => {
    const { page, errors } = await openPage();
    const report = await inPage<FramesReport>(page, "checkFrames('webgpu', ['canvas', 'offscreen-canvas', 'image-bitmap', 'video-frame'])");
    await page.close();
    assert.equal(report.backend, 'webgpu');
    assert.ok(report.bytesFaces >= 3, `only ${report.bytesFaces} faces in the ${report.width}×${report.height} picture: the check would prove little`);
    for (const r of report.results) {
      // Exact: the upload reproduces the bytes and every later stage is the bytes path's own arithmetic.
      assert.equal(r.identical, true, `${r.source}: faces differ from the bytes' (${r.faces} vs ${report.bytesFaces})`);
      assert.equal(r.pixelReads, 0, `${r.source}: getImageData was called ${r.pixelReads} times on the GPU path`);
    }
    bytesJson = report.bytesJson;
    assert.deepEqual(errors, []);
  });

  test('FaceTracker over FaceAnalysis on WebGPU: browser frames tracked as their bytes are, with no pixel read-back', async () => {
    const { page, errors } = await openPage();
    const report = await inPage<TrackedFramesReport>(page, 'checkTrackedFrames()');
    await page.close();
    assert.equal(report.backend, 'webgpu');
    assert.ok(report.faces >= 3, `only ${report.faces} faces tracked: the check would prove little`);
    // Exact, as for get: the tracker's frames go through the same upload and GPU pre-processing.
    assert.equal(report.identical, true, 'tracked faces of the frames differ from those of the bytes');
    assert.equal(report.pixelReads, 0, `getImageData was called ${report.pixelReads} times while tracking frames`);
    assert.deepEqual(errors, []);
  });

  test('the same frames on the CPU backend are read through a canvas and give the same faces', async () => {
    const { page, errors } = await openPage();
    const report = await inPage<FramesReport>(page, "checkFrames('cpu', ['canvas', 'video-frame'])");
    await page.close();
    assert.equal(report.backend, 'cpu');
    for (const r of report.results) {
      assert.equal(r.identical, true, `${r.source}: faces differ from the bytes'`);
      assert.ok(r.pixelReads >= 1, `${r.source}: the CPU path should read the pixels`);
    }
    assert.deepEqual(errors, []);
  });

  test('the Worker: a result like the main thread\'s, typed errors, and release destroying its device', async () => {
    const { page, errors } = await openPage();
    const report = await inPage<WorkerReport>(page, "checkWorker('webgpu')");
    await page.close();
    assert.equal(report.backend, 'webgpu');
    if (bytesJson) assert.equal(report.facesJson, bytesJson, 'the worker\'s faces differ from FaceAnalysis\'s on the page');
    assert.ok((JSON.parse(report.facesJson) as unknown[]).length >= 3);
    assert.equal(report.bitmapDetached, true, 'the ImageBitmap was transferred, not copied');
    assert.ok(report.timingStages.includes('detection.forward'), `timings: ${report.timingStages.join(', ')}`);
    assert.deepEqual(
      [report.imageError.isImageError, report.imageError.code],
      [true, 'IMAGE'], `not an ImageError: ${report.imageError.message}`,
    );
    assert.match(report.imageError.why, /bytes/);
    assert.deepEqual([report.optionError.isOptionError, report.optionError.option], [true, 'detThresh']);
    assert.deepEqual(report.release, { hadDevice: true, deviceLost: 'destroyed' });
    assert.equal(report.afterRelease.isWorkerError, true, report.afterRelease.message);
    assert.equal(report.terminated.isWorkerError, true, report.terminated.message);
    assert.match(report.terminated.message, /terminated/);
    assert.deepEqual(errors, []);
  });
});

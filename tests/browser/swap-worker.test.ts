/**
 * The Worker's face swap in chromium (headless, WebGPU through SwiftShader): `worker.swap` gives the same picture as
 * the page's own swap on the same backend (FaceAnalysis + INSwapper), and InsightFace's golden within the swap tests'
 * bound (../shared/swap/golden_t1: ≥ 99.5 % of values within ±1, none more than 8 off). The page-side halves are in
 * swap-worker-page.ts.
 *
 * The golden's keypoints come from the detector at 640 on the whole photo, and the swap follows them closely (a
 * 0.1 px keypoint shift, as a crop or a smaller det size gives, already puts values 50 off), so both runs detect at
 * 640 on the whole photo. On WebGPU only the face `maxNum: 1` keeps is swapped (one SwiftShader forward a side).
 *
 *   node --import tsx --test tests/browser/swap-worker.test.ts
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { decodeImageNode } from '../../src/pipeline/decode-node.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { estimateNorm, invertAffine } from '../../src/pipeline/index.js';
import type { Page } from '../../web/server/headless.js';
import { compareImages, describe as describeDiff, goldenDir, readGoldenImage, readSwapGolden, replicaPath, t1Path } from '../pipeline/swap/golden-swap.js';
import { RUN_MS, useChromium } from './chromium-fixture.js';
import { insidePolygon, swapRegion } from './swap-check.js';
import type { BadCall, SwapErrorsReport, WorkerSwapReport } from './swap-worker-page.js';

/** The swap tests' bound (tests/pipeline/swap/golden-swap.ts). */
const MIN_WITHIN_1 = 0.995;
const MAX_DIFF = 8;

const chromium = useChromium();
const golden = readSwapGolden();
let photo: BgrImage;

// Any page of the site gives a secure context with vite's module transform; the index is the lightest.
const openPage = (): Promise<{ page: Page; errors: string[] }> => chromium.openPage('/web/index.html', { defaultTimeoutMs: RUN_MS });

function inPage<T>(page: Page, call: string): Promise<T> {
  return page.evaluate(`import('/tests/browser/swap-worker-page.ts').then((m) => m.${call})`) as Promise<T>;
}

function decodeReport(report: WorkerSwapReport): BgrImage {
  return { width: report.width, height: report.height, data: new Uint8Array(Buffer.from(report.workerImage, 'base64')) };
}

describe('the Worker\'s face swap in chromium', { timeout: 1_800_000 }, () => {
  before(async () => {
    photo = await decodeImageNode(t1Path);
    // The swap bed is not among the dev server's folders: served to the pages from here.
    const files: Record<string, () => Buffer> = {
      'inswapper_w128_seed1.onnx': () => readFileSync(replicaPath),
      'golden.json': () => readFileSync(join(goldenDir, 'golden.json')),
      't1.bgr': () => Buffer.from(photo.data),
      't1.size.json': () => Buffer.from(JSON.stringify({ width: photo.width, height: photo.height })),
    };
    await chromium.browser.context.route(`${chromium.server.url}/swap-bed/**`, async (route) => {
      const name = new URL(route.request().url()).pathname.slice('/swap-bed/'.length);
      const body = files[name];
      await (body ? route.fulfill({ status: 200, body: body(), contentType: 'application/octet-stream' }) : route.fulfill({ status: 404 }));
    });
  });

  test('CPU backend: worker.swap of every face gives the page\'s own swap, byte for byte, and t1.all.png within the bound', async (t) => {
    const { page, errors } = await openPage();
    const report = await inPage<WorkerSwapReport>(page, "checkWorkerSwap('cpu', 0)");
    await page.close();
    assert.deepEqual([report.backend, report.workerBackend], ['cpu', 'cpu']);
    assert.equal(report.faces, golden.faces.length);
    assert.equal(report.sameFaces, true, 'the worker found other faces than FaceAnalysis.get on the page');
    assert.equal(report.differingBytes, 0, `${report.differingBytes} bytes differ from the page's own swap`);
    assert.equal(report.photoDetached, true, 'the photo\'s buffer was moved to the worker');
    assert.deepEqual(report.timingStages, ['detection', 'inswapper']);
    // The worker swaps in detection order, InsightFace's example in bbox order; on t1 no paste reaches another
    // face's crop, so the order does not change the picture.
    const c = compareImages(decodeReport(report), await readGoldenImage(golden.all));
    t.diagnostic(`${golden.all}: ${describeDiff(c)}`);
    assert.ok(c.within1 >= MIN_WITHIN_1 && c.maxDiff <= MAX_DIFF, describeDiff(c));
    assert.deepEqual(errors, []);
  });

  test('WebGPU: worker.swap of one face gives the page\'s own swap, byte for byte, and the golden within the bound', async (t) => {
    const { page, errors } = await openPage();
    const report = await inPage<WorkerSwapReport>(page, "checkWorkerSwap('webgpu', 1)");
    await page.close();
    assert.deepEqual([report.backend, report.workerBackend], ['webgpu', 'webgpu']);
    assert.equal(report.faces, 1);
    assert.equal(report.sameFaces, true, 'the worker found another face than FaceAnalysis.get on the page');
    assert.equal(report.differingBytes, 0, `${report.differingBytes} bytes differ from the page's own swap`);
    // The golden for one face: t1.all.png where that face's paste can reach (no other face's paste reaches there
    // on t1), the photo elsewhere.
    const [[, kps]] = JSON.parse(report.workerGeometry) as [number[], number[], number][] as [[number[], number[], number]];
    const region = swapRegion(invertAffine(estimateNorm(kps, 128)), 128);
    const all = await readGoldenImage(golden.all);
    const expected: BgrImage = { width: photo.width, height: photo.height, data: photo.data.slice() };
    let regionPixels = 0;
    for (let y = 0; y < photo.height; y++) {
      for (let x = 0; x < photo.width; x++) {
        if (!insidePolygon(region, x, y)) continue;
        regionPixels++;
        const i = (y * photo.width + x) * 3;
        expected.data.set(all.data.subarray(i, i + 3), i);
      }
    }
    const ours = decodeReport(report);
    const changed = compareImages(ours, photo);
    assert.ok(changed.over1 > 1000, `the swap barely changed the photo: ${describeDiff(changed)}`);
    const c = compareImages(ours, expected);
    t.diagnostic(`one face (${regionPixels} pixels where its paste reaches): ${describeDiff(c)}`);
    assert.ok(c.within1 >= MIN_WITHIN_1 && c.maxDiff <= MAX_DIFF, describeDiff(c));
    assert.deepEqual(errors, []);
  });

  test('bad swaps reject with the engine\'s error classes across the worker boundary, before the picture moves', async () => {
    const { page, errors } = await openPage();
    const report = await inPage<SwapErrorsReport>(page, 'checkSwapErrors()');
    await page.close();
    const optionError = (call: BadCall, what: string, option: string, message: RegExp): void => {
      assert.equal(call.isOptionError, true, `${what}: ${JSON.stringify(call.error)}`);
      assert.deepEqual([call.error?.name, call.error?.option], ['PipelineOptionError', option], what);
      assert.match(call.error?.message ?? '', message, what);
      // Checked before posting: a call that cannot succeed leaves the caller's picture usable.
      assert.equal(call.imageMoved, false, `${what}: the picture was moved to the worker for a call that cannot succeed`);
    };
    optionError(report.noSwapper, 'no swapper', 'swapper', /without a swapper/);
    optionError(report.shortSource, '128-d source', 'sourceFace', /512-d .* gives 128/);
    optionError(report.shortSourceNoFace, '128-d source, no face in the picture', 'sourceFace', /512-d .* gives 128/);
    // A picture an earlier call moved to the worker: an ImageError, as FaceAnalysis.get on the page gives for it.
    for (const [what, call, onPage] of [['reused BgrImage', report.reusedPhoto, report.reusedPhotoOnPage], ['reused ImageBitmap', report.reusedBitmap, report.reusedBitmapOnPage],
      ['reused VideoFrame', report.reusedFrame, report.reusedFrameOnPage]] as const) {
      assert.equal(onPage?.name, 'ImageError', `${what} on the page: ${JSON.stringify(onPage)}`);
      assert.equal(call.isImageError, true, `${what}: ${JSON.stringify(call.error)}`);
      assert.deepEqual([call.error?.name, call.error?.code], ['ImageError', 'IMAGE'], what);
      assert.match(call.error?.message ?? '', /moved to the worker by an earlier call/, what);
    }
    assert.equal(report.afterwards, 0, 'a good swap after the bad ones');
    assert.deepEqual(errors, []);
  });
});

/**
 * The browser API used as a demanding caller would, in chromium (CPU backend, det 160): the worker client's calls on
 * one picture at once, bad faces, release twice, release right after calls, elements with nothing to show and model bytes another worker took;
 * IndexedDbIndexStore after another tab deletes its database; loadModelFiles with an aborted signal and bad lists.
 * The page-side halves are in web-edges-page.ts.
 *
 *   node --import tsx --test tests/browser/web-edges.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from '../../web/server/headless.js';
import { RUN_MS, useChromium } from './chromium-fixture.js';
import type {
  ConcurrentReport, DeletedStoreReport, DrawAndReleaseReport, LoaderReport, MovedModelsReport, ReleaseWhilePendingReport, UnreadyElementsReport,
} from './web-edges-page.js';

const chromium = useChromium();

async function inPage<T>(call: string): Promise<{ report: T; errors: string[] }> {
  const { page, errors } = await chromium.openPage('/web/index.html', { defaultTimeoutMs: RUN_MS });
  try {
    const report = await (page as Page).evaluate(`import('/tests/browser/web-edges-page.ts').then((m) => m.${call})`) as T;
    return { report, errors };
  } finally {
    await page.close();
  }
}

describe('the browser API at its edges', { timeout: 600_000 }, () => {
  test('two worker calls started together on one picture: the second is the ImageError of a moved picture', async () => {
    const { report, errors } = await inPage<ConcurrentReport>('checkConcurrentSamePicture()');
    for (const [what, pair] of [['samePixels', report.samePixels], ['getAndDraw', report.getAndDraw], ['sameBitmap', report.sameBitmap]] as const) {
      assert.equal(pair[0]!.ok, true, `${what}: the first call failed: ${JSON.stringify(pair[0])}`);
      assert.equal(pair[1]!.isImageError, true, `${what}: ${JSON.stringify(pair[1])}`);
      assert.match(pair[1]!.message!, /moved to the worker by an earlier call/, what);
    }
    assert.equal(report.afterwards.ok, true, JSON.stringify(report.afterwards));
    assert.deepEqual(errors, []);
  });

  test('worker.drawOn with bad faces is a PipelineOptionError; release twice at once resolves both', async () => {
    const { report, errors } = await inPage<DrawAndReleaseReport>('checkDrawAndRelease()');
    for (const what of ['facesUndefined', 'faceWithoutBbox'] as const) {
      assert.equal(report[what].isOptionError, true, `${what}: ${JSON.stringify(report[what])}`);
    }
    assert.match(report.facesUndefined.message!, /faces/);
    assert.match(report.faceWithoutBbox.message!, /bbox/);
    assert.equal(report.pictureKept, true, 'a drawOn that cannot succeed moved the picture');
    assert.deepEqual(report.releasedTogether.map((o) => o.ok), [true, true], JSON.stringify(report.releasedTogether));
    assert.equal(report.releasedAgain.ok, true);
    assert.equal(report.getAfterRelease.name, 'WorkerError');
    assert.deepEqual(errors, []);
  });

  test('worker.release right after get calls whose pictures are still being readied lets them finish first', async () => {
    const { report, errors } = await inPage<ReleaseWhilePendingReport>('checkReleaseWhilePending()');
    assert.deepEqual(report.pending.map((o) => o.ok), [true, true], JSON.stringify(report.pending));
    assert.equal(report.release.ok, true, JSON.stringify(report.release));
    assert.equal(report.madeDuringRelease.name, 'WorkerError', JSON.stringify(report.madeDuringRelease));
    assert.deepEqual(errors, []);
  });

  test('IndexedDbIndexStore goes on after another tab deletes its database, and stays closed after close()', async () => {
    const { report, errors } = await inPage<DeletedStoreReport>("checkStoreDeletedElsewhere('insightgpu-edges-test')");
    assert.deepEqual(report.listedAfterDelete, { ok: true, names: [] }, JSON.stringify(report.listedAfterDelete));
    assert.deepEqual(report.hadAfterDelete, { ok: true, value: false }, JSON.stringify(report.hadAfterDelete));
    assert.equal(report.savedAfterDelete.ok, true, JSON.stringify(report.savedAfterDelete));
    assert.deepEqual(report.seenByFreshStore, ['after']);
    assert.equal(report.afterClose.name, 'IndexStoreError', JSON.stringify(report.afterClose));
    assert.match(report.afterClose.message!, /closed/);
    assert.deepEqual(errors, []);
  });

  test('loadModelFiles: an aborted signal rejects a cache hit too; a bad file list is a PipelineOptionError', async () => {
    const { report, errors } = await inPage<LoaderReport>("checkLoader('insightgpu-edges-test')");
    for (const what of ['abortedBeforeCacheHit', 'abortedDuringCacheHit'] as const) {
      assert.deepEqual([report[what].name, report[what].failure], ['FetchError', 'aborted'], `${what}: ${JSON.stringify(report[what])}`);
    }
    assert.equal(report.filesNotArray.isOptionError, true, JSON.stringify(report.filesNotArray));
    assert.equal(report.entryNull.isOptionError, true, JSON.stringify(report.entryNull));
    assert.deepEqual(errors, []);
  });

  test('worker.get on a canvas, <img> or <video> with nothing to show is an ImageError, as on the page', async () => {
    const { report, errors } = await inPage<UnreadyElementsReport>('checkUnreadyElements()');
    for (const what of ['zeroCanvas', 'unloadedImage', 'emptyVideo'] as const) {
      assert.equal(report[what].isImageError, true, `${what}: ${JSON.stringify(report[what])}`);
      assert.match(report[what].message!, /size 0×0|not loaded|no frame/, what);
    }
    assert.equal(report.afterwards.ok, true, JSON.stringify(report.afterwards));
    assert.deepEqual(errors, []);
  });

  test('a second worker from model bytes the first one took is a PipelineOptionError naming models or swapper', async () => {
    const { report, errors } = await inPage<MovedModelsReport>('checkMovedModels()');
    assert.deepEqual([report.secondWorker.isOptionError, report.secondWorker.option], [true, 'models'], JSON.stringify(report.secondWorker));
    assert.match(report.secondWorker.message!, /scrfd_2\.5g_bnkps\.onnx.*moved/);
    assert.deepEqual([report.secondSwapper.isOptionError, report.secondSwapper.option], [true, 'swapper'], JSON.stringify(report.secondSwapper));
    assert.deepEqual(errors, []);
  });
});

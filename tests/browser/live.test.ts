/**
 * The demo's live page in chromium on the fake camera, fed a clip of t1.jpg panned and zoomed (ffmpeg): frames are
 * analysed in the Worker, boxes and the frame rate are shown, track ids are drawn when FaceTracker is part of the
 * tree, and stopping ends every camera track. Screenshots go to test-artifacts/browser/live-*.png.
 *
 *   node --import tsx --test tests/browser/live.test.ts
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fakeCameraClip } from '../../web/server/fake-camera.js';
import { collectPageErrors, REPO_ROOT } from '../../web/server/headless.js';
import { RUN_MS, useChromium } from './chromium-fixture.js';
import { resolveAssetDirs } from '../../web/server/local-assets.js';
import type { LiveState } from '../../web/demo/live.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/browser');
const FRAMES = 12;

const chromium = useChromium({
  launch: () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const clip = fakeCameraClip(join(resolveAssetDirs(REPO_ROOT).images, 't1.jpg'), { frames: 60 });
    return { extraArgs: [`--use-file-for-fake-video-capture=${clip}`] };
  },
});

describe('the live page on the fake camera', { timeout: 1_200_000 }, () => {
  // The CPU backend inside the Worker: seconds a frame here, where SwiftShader's WebGPU takes tens of seconds.
  test('analyses webcam frames in the Worker, shows fps, draws boxes, and ends every camera track on stop', async (t) => {
    const page = await chromium.browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${chromium.server.url}/web/demo/live.html?pack=packA&backend=cpu&det=320&worker=1&track=1&frames=${FRAMES}&autorun=1`);
    await page.waitForFunction((n) => window.insightgpuLive.state === 'failed' || window.insightgpuLive.frames >= n - 1, FRAMES, { timeout: RUN_MS });
    await page.screenshot({ path: join(ARTIFACTS, 'live-webcam-worker.png'), fullPage: true });
    await page.waitForFunction(() => ['stopped', 'failed'].includes(window.insightgpuLive.state), null, { timeout: RUN_MS });
    const live = await page.evaluate(() => window.insightgpuLive) as LiveState;
    const stats = await page.textContent('#live-stats') ?? '';
    await page.close();
    assert.equal(live.state, 'stopped', live.error ?? '');
    assert.equal(live.where, 'worker');
    assert.equal(live.frames, FRAMES);
    assert.ok(live.fps !== undefined && live.fps > 0, `fps ${live.fps}`);
    assert.match(stats, /stopped after 12 frames/);
    assert.match(live.shown ?? '', /^\d+\.\d\d frames\/s · \d+ ms a frame · detector (\d+|—) ms · heads (\d+|—) ms · \d+ faces · worker/);
    assert.equal(live.cameraTracksEnded, true, 'a camera track is still live after stop');
    assert.ok(live.latencyMs.length === FRAMES && live.latencyMs.every((ms) => ms > 0));
    // FaceTracker reports no stage timings: detector and heads ms are shown for plain `get` frames only.
    if (!live.tracking) assert.ok(live.detectorMs.length === FRAMES && live.detectorMs.every((ms) => ms > 0));
    assert.deepEqual(errors.filter((e) => !e.includes('/src/pipeline/tracking/')), []);
    if (!existsSync(join(REPO_ROOT, 'src/pipeline/tracking/index.ts'))) {
      t.skip('FaceTracker (src/pipeline/tracking/) is not in this tree: track ids are not checked');
      return;
    }
    assert.equal(live.tracking, true);
    assert.ok(live.idsDrawn.length >= 3, `ids drawn on the last frame: ${live.idsDrawn.join(', ')}`);
    assert.equal(new Set(live.idsDrawn).size, live.idsDrawn.length, 'a track id is drawn twice');
  });

  test("identify mode names the tracks from the faces enrolled in the demo's Identify mode", async () => {
    const demo = await chromium.browser.context.newPage();
    const errors = collectPageErrors(demo);
    // Enrol t1.jpg's six faces as t1#0…t1#5 through the demo's own Identify mode (IndexedDB, same origin).
    await demo.goto(`${chromium.server.url}/web/demo/?pack=packA&det=320&backend=cpu&mode=identify&image=/images/t1.jpg&autorun=1`);
    await demo.waitForFunction(() => window.insightgpuDemo.state === 'failed' || (window.insightgpuDemo.state === 'done' && window.insightgpuDemo.identify.state === 'ready'), null, { timeout: RUN_MS });
    await demo.fill('#identify-name', 't1');
    await demo.click('#identify-enrol-all');
    await demo.waitForFunction(() => window.insightgpuDemo.identify.stored?.identities === 6, null, { timeout: RUN_MS });
    await demo.close();

    const page = await chromium.browser.context.newPage();
    errors.push(...collectPageErrors(page));
    await page.goto(`${chromium.server.url}/web/demo/live.html?pack=packA&backend=cpu&det=320&worker=1&identify=1&frames=6&autorun=1`);
    await page.waitForFunction(() => ['stopped', 'failed'].includes(window.insightgpuLive.state), null, { timeout: RUN_MS });
    const live = await page.evaluate(() => window.insightgpuLive) as LiveState;
    await page.screenshot({ path: join(ARTIFACTS, 'live-identify-worker.png'), fullPage: true });
    await page.close();
    assert.equal(live.state, 'stopped', live.error ?? '');
    assert.equal(live.enrolled, 6);
    assert.equal(live.tracking, true);
    // The clip is t1.jpg panned and zoomed by at most 20 %: most faces keep a cosine far above the 0.3 threshold.
    assert.ok(live.namesDrawn.length >= 3, `names drawn: ${live.namesDrawn.join(', ')}`);
    assert.ok(live.namesDrawn.every((n) => /^t1#[0-5]$/.test(n)), live.namesDrawn.join(', '));
    assert.equal(new Set(live.namesDrawn).size, live.namesDrawn.length, 'one name on two faces');
    assert.deepEqual(errors, []);
  });

  // The CPU backend in the Worker, as above; 3 frames: each is a detection and one INSwapper forward a face.
  test('swap mode puts the source face into every face of each frame, in the Worker, with a forged swapper', async () => {
    const page = await chromium.browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${chromium.server.url}/web/demo/live.html?pack=packA_r50&backend=cpu&det=320&worker=1&track=0&mode=swap&source=/images/t1.jpg&sourceFace=2&swapwidth=128&frames=3&autorun=1`);
    await page.waitForFunction(() => ['stopped', 'failed'].includes(window.insightgpuLive.state), null, { timeout: RUN_MS });
    const live = await page.evaluate(() => window.insightgpuLive) as LiveState;
    await page.screenshot({ path: join(ARTIFACTS, 'live-swap-worker.png'), fullPage: true });
    await page.close();
    assert.equal(live.state, 'stopped', live.error ?? '');
    assert.equal(live.where, 'worker');
    assert.equal(live.frames, 3);
    assert.deepEqual(live.swapper, { origin: 'forged', width: 128 }, 'no inswapper_128.onnx is served: the page forges one');
    // Every frame came back swapped, at the camera's size, with the faces the detector found in it.
    assert.equal(live.swappedFaces.length, 3);
    assert.ok(live.swappedFaces.every((n) => n >= 1), `faces swapped per frame: ${live.swappedFaces.join(', ')}`);
    assert.ok(live.videoSize !== undefined && live.videoSize[0] > 0);
    assert.deepEqual(live.swappedSizes, live.swappedFaces.map(() => live.videoSize), 'a swapped picture is not the camera frame\'s size');
    assert.match(live.shown ?? '', / · \d+ faces · worker$/);
    assert.equal(live.cameraTracksEnded, true, 'a camera track is still live after stop');
    assert.deepEqual(errors, []);
  });
});

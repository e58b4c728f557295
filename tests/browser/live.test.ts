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
import { after, before, describe, test } from 'node:test';
import { fakeCameraClip } from '../../web/server/fake-camera.js';
import { collectPageErrors, launchBrowser, REPO_ROOT, startWebServer, type HeadlessBrowser, type WebServer } from '../../web/server/headless.js';
import { resolveAssetDirs } from '../../web/server/local-assets.js';
import type { LiveState } from '../../web/demo/live.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/browser');
// Bounds on a hang on a shared 2-core machine, not performance targets.
const RUN_MS = 600_000;
const FRAMES = 4;

let server: WebServer;
let browser: HeadlessBrowser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const clip = fakeCameraClip(join(resolveAssetDirs(REPO_ROOT).images, 't1.jpg'), { frames: 60 });
  [server, browser] = await Promise.all([startWebServer(), launchBrowser({ extraArgs: [`--use-file-for-fake-video-capture=${clip}`] })]);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

describe('the live page on the fake camera', { timeout: 1_200_000 }, () => {
  // The CPU backend inside the Worker: seconds a frame here, where SwiftShader's WebGPU takes tens of seconds.
  test('analyses webcam frames in the Worker, shows fps, draws boxes, and ends every camera track on stop', async (t) => {
    const page = await browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${server.url}/web/demo/live.html?pack=packA&backend=cpu&det=320&modules=detection,genderage&worker=1&track=1&frames=${FRAMES}&autorun=1`);
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
    assert.match(stats, /stopped after 4 frames/);
    assert.match(live.shown ?? '', /^\d+\.\d\d frames\/s · detector \d+ ms · heads \d+ ms · \d+ faces · worker/);
    assert.equal(live.cameraTracksEnded, true, 'a camera track is still live after stop');
    assert.ok(live.latencyMs.length === FRAMES && live.latencyMs.every((ms) => ms > 0));
    assert.ok(live.detectorMs.length === FRAMES && live.detectorMs.every((ms) => ms > 0));
    assert.deepEqual(errors.filter((e) => !e.includes('/src/pipeline/tracking/')), []);
    if (!existsSync(join(REPO_ROOT, 'src/pipeline/tracking/index.ts'))) {
      t.skip('FaceTracker (src/pipeline/tracking/) is not in this tree: track ids are not checked');
      return;
    }
    assert.equal(live.tracking, true);
    assert.ok(live.idsDrawn.length >= 3, `ids drawn on the last frame: ${live.idsDrawn.join(', ')}`);
    assert.equal(new Set(live.idsDrawn).size, live.idsDrawn.length, 'a track id is drawn twice');
  });
});

/**
 * FaceIndex in the browser: IndexedDbIndexStore against chromium's real IndexedDB, and the demo's Identify mode
 * (enrol t1.jpg's faces, reload, identify them in a mirrored copy), in headless chromium on the CPU backend.
 *
 *   node --import tsx --test tests/browser/identify.test.ts
 *
 * Screenshots are kept in test-artifacts/browser/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { IndexStoreError, IndexedDbIndexStore } from '../../src/pipeline/index.js';
import { MATCH_COLOUR } from '../../web/demo/identify-overlay.js';
import { DEMO_INDEX_NAME } from '../../web/demo/identify.js';
import { REPO_ROOT, collectPageErrors, type Page } from '../../web/server/headless.js';
import { PAGE_LOAD_MS, useChromium } from './chromium-fixture.js';
import { resolveAssetDirs } from '../../web/server/local-assets.js';
import type { StoreCheckReport } from './index-store-page.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/browser');
const DIRS = resolveAssetDirs(REPO_ROOT);
// This bounds a hang on a shared 2-core machine; it is not a performance target.
const ANALYSIS_MS = 300_000;
// The CPU backend: what is checked is the page's Identify mode and its storage; the WebGPU kernels have their own tests.
const DEMO = '/web/demo/?pack=packA&det=320&backend=cpu&mode=identify&autorun=1';

let work: string;

before(() => {
  mkdirSync(ARTIFACTS, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'insightgpu-identify-'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});
const chromium = useChromium();

type Demo = Window['insightgpuDemo'];
const demoState = (page: Page): Promise<Demo> => page.evaluate(() => window.insightgpuDemo);

/** Waits until the page's demo state passes `ready` (a function source over `s`, run in the page). */
async function waitDemo(page: Page, condition: string): Promise<Demo> {
  await page.waitForFunction(`(() => { const s = window.insightgpuDemo; return s.state === 'failed' || (${condition}); })()`, null, { timeout: ANALYSIS_MS });
  const state = await demoState(page);
  assert.notEqual(state.state, 'failed', `demo failed: ${state.error}`);
  return state;
}

const centreX = (b: readonly number[]): number => (b[0]! + b[2]!) / 2;
const centreY = (b: readonly number[]): number => (b[1]! + b[3]!) / 2;

/** Fraction of the label strip under each box (its left 40 %, first 8 px) drawn in the match colour. */
async function labelCoverage(png: Buffer, imageWidth: number, boxes: readonly (readonly number[])[]): Promise<number[]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const scale = info.width / imageWidth;
  const [mr, mg, mb] = MATCH_COLOUR;
  return boxes.map(([x1, , x2, y2]) => {
    let hits = 0, total = 0;
    for (let y = Math.ceil(y2! * scale) + 1; y < Math.ceil(y2! * scale) + 8 && y < info.height; y++) {
      for (let x = Math.ceil(x1! * scale) + 1; x < (x1! + 0.4 * (x2! - x1!)) * scale; x++) {
        const i = (y * info.width + x) * info.channels;
        total++;
        // Scaling blends the label with text and neighbours; 40 levels per channel is well inside orange vs photo.
        if (Math.abs(data[i]! - mr) < 40 && Math.abs(data[i + 1]! - mg) < 40 && Math.abs(data[i + 2]! - mb) < 40) hits++;
      }
    }
    return total === 0 ? 0 : hits / total;
  });
}

describe('the face index in the browser', { timeout: 900_000 }, () => {
  test('IndexedDbIndexStore outside a browser says IndexedDB is unavailable', async () => {
    await assert.rejects(IndexedDbIndexStore.open(), (e: unknown) => e instanceof IndexStoreError && e.reason === 'unavailable' && /IndexedDB is not available/.test(e.message));
  });

  test('IndexedDbIndexStore round-trips indexes in chromium and rejects damaged records', async () => {
    const page = await chromium.browser.context.newPage();
    const errors = collectPageErrors(page);
    await page.goto(`${chromium.server.url}/web/index.html`, { timeout: PAGE_LOAD_MS });
    const report = await page.evaluate(async (url) => {
      const m = await import(url) as typeof import('./index-store-page.js');
      return m.runIndexStoreChecks('insightgpu-store-test');
    }, '/tests/browser/index-store-page.ts') as StoreCheckReport;
    await page.close();

    assert.deepEqual(report.listed, [
      { name: 'alpha', bytes: report.sizes.alpha, dim: 128, identities: 3, entries: 4 },
      { name: 'beta', bytes: report.sizes.beta, dim: 512, identities: 2, entries: 3 },
    ]);
    assert.ok(report.sameBytes, 'the loaded index writes the same IGFX bytes');
    assert.deepEqual(report.searchAfter, report.searchBefore);
    assert.equal(report.searchBefore.length, 4);
    assert.equal(report.overwrittenSize, 4, 'a save replaces the stored index');
    assert.deepEqual([report.deletedOnce, report.deletedTwice, report.hasAfterDelete], [true, false, false]);
    assert.deepEqual(report.listedAfterDelete, ['alpha']);

    const e = report.errors;
    assert.deepEqual([e.missing?.name, e.missing?.reason], ['IndexStoreError', 'not-found']);
    assert.match(e.missing!.message, /no index named 'beta'/);
    assert.deepEqual([e.badName?.name, e.badName?.reason], ['IndexStoreError', 'bad-name']);
    for (const [what, pattern] of [
      ['flippedByte', /record 'victim'.*checksum mismatch/],
      ['truncated', /record 'victim'.*\(truncated\)/],
      ['notBytes', /record 'victim'.*holds a string, not the index's bytes/],
      ['replacedBySmaller', /record 'victim'.*holds \d+ bytes with CRC \w+, but its catalog entry says \d+ bytes/],
      ['noCatalog', /record 'victim'.*catalog entry says nothing/],
    ] as const) {
      assert.equal(e[what]?.name, 'IndexFormatError', `${what}: ${JSON.stringify(e[what])}`);
      assert.match(e[what]!.message, pattern, what);
    }
    assert.deepEqual(errors, [], 'the page logged errors');
  });

  test("the demo's Identify mode enrols t1.jpg's faces, keeps them across a reload and names them in a mirrored copy", async (t) => {
    const flipped = join(work, 't1-flipped.png');
    await sharp(join(DIRS.images, 't1.jpg')).flop().png().toFile(flipped);
    const page = await chromium.browser.context.newPage();
    const errors = collectPageErrors(page);

    // Enrol every face of t1.jpg as t1#0…t1#5, left to right.
    await page.goto(`${chromium.server.url}${DEMO}&image=/images/t1.jpg`, { timeout: PAGE_LOAD_MS });
    const analysed = await waitDemo(page, "s.state === 'done' && s.identify.state === 'ready'");
    assert.equal(analysed.mode, 'identify');
    assert.deepEqual([analysed.identify.restored, analysed.identify.enrolled], [null, []], 'a fresh profile has nobody stored');
    const original = analysed.results!.results[0]!;
    assert.equal(original.faces.length, 6, 't1.jpg has 6 faces');
    await page.fill('#identify-name', 't1');
    await page.click('#identify-enrol-all');
    const enrolled = await waitDemo(page, "s.identify.stored?.identities === 6 && s.identify.state === 'ready'");
    const byX = original.faces.map((f, i) => [f.bbox[0]!, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    const nameOf = (i: number): string => `t1#${byX.indexOf(i)}`;
    assert.deepEqual(enrolled.identify.enrolled, byX.map((_, k) => ({ id: `t1#${k}`, embeddings: 1 })));
    // Each enrolled face is its own best match (the same embedding: cosine 1 within float32 rounding).
    for (const [i, m] of enrolled.identify.matches!.faces.entries()) {
      assert.equal(m.id, nameOf(i), `t1.jpg face #${i + 1}`);
      assert.ok(Math.abs(m.score! - 1) < 1e-5, `face #${i + 1} scores ${m.score} against itself`);
    }

    // Reload: the names come back from IndexedDB.
    await page.goto(`${chromium.server.url}${DEMO}`, { timeout: PAGE_LOAD_MS });
    const reloaded = await waitDemo(page, "s.state === 'ready' && s.identify.state === 'ready'");
    assert.deepEqual(reloaded.identify.restored, { identities: 6, entries: 6, dim: 128 });
    assert.deepEqual(reloaded.identify.enrolled.map((x) => x.id), byX.map((_, k) => `t1#${k}`));
    const listed = await page.locator('#identify-enrolled li').allTextContents();
    assert.deepEqual(listed.map((s) => s.replace(/\s*×$/, '').trim()), byX.map((_, k) => `t1#${k}`));

    // The mirrored photo, opened as a file: each face must be named after its own original.
    await page.setInputFiles('#image-file', flipped);
    const identified = await waitDemo(page, "s.state === 'done' && s.identify.matches?.image === 't1-flipped.png'");
    const mirrored = identified.results!.results[0]!;
    assert.equal(mirrored.faces.length, 6);
    const W = original.width;
    const expected = mirrored.faces.map((f) => {
      // The original face whose mirrored centre is nearest (the faces are far apart compared with a box's size).
      const near = original.faces.map((o, i) => [Math.hypot(W - centreX(o.bbox) - centreX(f.bbox), centreY(o.bbox) - centreY(f.bbox)), i] as const).sort((a, b) => a[0] - b[0])[0]!;
      assert.ok(near[0] < 10, `a mirrored face ${near[0].toFixed(1)} px from any original`);
      return nameOf(near[1]);
    });
    const matches = identified.identify.matches!.faces;
    t.diagnostic(`mirrored t1.jpg: ${matches.map((m, i) => `${expected[i]} → ${m.best?.id} ${m.best?.score.toFixed(3)}`).join(', ')}`);
    assert.deepEqual(matches.map((m) => m.id), expected, 'every mirrored face is named after its own original, above the 0.3 threshold');
    const rows = await page.locator('#identify-results tbody tr').allTextContents();
    expected.forEach((name, i) => assert.match(rows[i]!, new RegExp(`^#${i + 1}${name.replace('#', '\\#')} \\d\\.\\d\\d`), `results row ${i + 1}: ${rows[i]}`));
    const shot = await page.locator('#canvas').screenshot({ path: join(ARTIFACTS, 'demo-identify-mirrored.png') });
    const coverage = await labelCoverage(shot, mirrored.width, mirrored.faces.map((f) => f.bbox));
    coverage.forEach((c, i) => assert.ok(c > 0.5, `face #${i + 1}: its name label is not drawn under the box (${(c * 100).toFixed(0)} % label colour)`));

    // Click a face to enrol it under a new name; it then names that face, and forgetting it restores the old name.
    const target = mirrored.faces.map((f, i) => [(f.bbox[2]! - f.bbox[0]!) * (f.bbox[3]! - f.bbox[1]!), i] as const).sort((a, b) => b[0] - a[0])[0]![1];
    const box = (await page.locator('#canvas').boundingBox())!;
    const s = box.width / mirrored.width;
    await page.locator('#canvas').click({ position: { x: centreX(mirrored.faces[target]!.bbox) * s, y: centreY(mirrored.faces[target]!.bbox) * s } });
    assert.match(await page.textContent('#identify-picked') ?? '', new RegExp(`selected: face #${target + 1} of t1-flipped\\.png`));
    await page.fill('#identify-name', 'Mirror');
    await page.click('#identify-enrol');
    const withMirror = await waitDemo(page, "s.identify.stored?.identities === 7 && s.identify.state === 'ready'");
    assert.equal(withMirror.identify.matches!.faces[target]!.id, 'Mirror');
    await page.click('#identify-enrolled li[data-identity="Mirror"] button');
    const forgotten = await waitDemo(page, "s.identify.stored?.identities === 6 && s.identify.state === 'ready'");
    assert.equal(forgotten.identify.matches!.faces[target]!.id, expected[target]);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-identify.png'), fullPage: true });

    // Webcam frames go through the same identification (chromium's fake camera shows no face, so none is named).
    await page.click('#webcam');
    const framed = await waitDemo(page, "s.identify.matches?.image === 'webcam' && /frames\\/s/.test(document.getElementById('analysis-status')?.textContent ?? '')");
    await page.click('#webcam');
    await page.waitForFunction(() => document.getElementById('webcam')?.textContent === 'Start webcam', null, { timeout: ANALYSIS_MS });
    assert.deepEqual([framed.results!.results[0]!.width, framed.results!.results[0]!.height], [640, 480], 'a camera frame was analysed');
    assert.equal(framed.identify.matches!.faces.length, framed.results!.results[0]!.faces.length, 'every face of the frame is looked up');

    // A corrupted stored record: the page says so and starts with nobody enrolled, never a partial index.
    await page.evaluate(async (name) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open('insightgpu-face-index');
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('files', 'readwrite');
        const os = tx.objectStore('files');
        const get = os.get(name);
        get.onsuccess = () => {
          const bytes = new Uint8Array((get.result as ArrayBuffer).slice(0));
          bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 1;
          os.put(bytes.buffer, name);
        };
        tx.oncomplete = () => resolve();
        tx.onabort = () => reject(tx.error);
      });
      db.close();
    }, DEMO_INDEX_NAME);
    await page.goto(`${chromium.server.url}${DEMO}`, { timeout: PAGE_LOAD_MS });
    const damaged = await waitDemo(page, "s.state === 'ready' && s.identify.state === 'ready'");
    await page.close();
    assert.deepEqual([damaged.identify.restored, damaged.identify.enrolled], [null, []]);
    assert.match(damaged.identify.error ?? '', /IndexFormatError: invalid face-index file.*record 'demo'.*checksum mismatch/);
    assert.deepEqual(errors, [], 'the demo logged errors');
  });
});

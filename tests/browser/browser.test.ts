/**
 * The browser pages in real chromium (headless, WebGPU through SwiftShader where there is no GPU), driven by
 * playwright-core against vite's dev server on an ephemeral 127.0.0.1 port. One server and one browser serve
 * every test in this file: starting them is the slow part on a small machine.
 *
 *   npm run test:browser        (also part of npm test)
 *
 * Screenshots are kept in test-artifacts/browser/.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compareResults, formatComparison } from '../../cli/compare-results.js';
import type { ResultsFile } from '../../cli/results-format.js';
import type { BenchReport } from '../../bench/web/bench-core.js';
import { BACKENDS } from '../../bench/web/runners.js';
import { forgedLabel } from '../../bench/web/forge-client.js';
import { DEFAULT_SEED, forgeExtraModel, forgeModel } from '../../models/forge/forge.js';
import { estimateNorm, invertAffine } from '../../src/pipeline/index.js';
import sharp from 'sharp';
import { PACKS } from '../../web/demo/model-source.js';
import { REPO_ROOT, collectPageErrors, probeWebGpu, startWebServer, type Page } from '../../web/server/headless.js';
import { PAGE_LOAD_MS, useChromium } from './chromium-fixture.js';
import { resolveAssetDirs } from '../../web/server/local-assets.js';
import { checkOverlay } from './overlay-check.js';
import { checksum, insidePolygon, swapRegion } from './swap-check.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts/browser');
const DIRS = resolveAssetDirs(REPO_ROOT);
// SwiftShader on a shared 2-core machine is slow; this bounds a hang, it is not a performance target.
const ANALYSIS_MS = 900_000;
const SWAP_BACKEND = process.env.SWAP_BACKEND ?? 'cpu';

before(() => mkdirSync(ARTIFACTS, { recursive: true }));
const chromium = useChromium();
const openPage = (path: string): Promise<{ page: Page; errors: string[] }> => chromium.openPage(path);

/** The Node CLI's JSON for pack A at det-size 320 on t1.jpg (CPU backend), run as a child process. */
function runNodeCli(): Promise<ResultsFile> {
  const work = mkdtempSync(join(tmpdir(), 'insightgpu-cli-'));
  const modelDir = join(work, 'packA');
  mkdirSync(modelDir);
  for (const f of PACKS.packA) symlinkSync(join(DIRS.models, f), join(modelDir, f));
  const out = join(work, 'out.json');
  const args = ['--import', 'tsx', 'cli/main.ts', 'analyze', '--models', modelDir, '--det-size', '320', '--backend', 'cpu', '--json', out, join(DIRS.images, 't1.jpg')];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`insightgpu analyze exited with ${code}: ${stderr.trim()}`);
        resolve(JSON.parse(readFileSync(out, 'utf8')) as ResultsFile);
      } catch (e) {
        reject(e);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
}

describe('browser pages in chromium', { timeout: 2_400_000 }, () => {
  test('navigator.gpu gives a WebGPU adapter', async () => {
    const { page } = await openPage('/web/index.html');
    const probe = await probeWebGpu(page);
    await page.close();
    assert.ok(probe.ok, `chromium has no WebGPU adapter: ${'why' in probe ? probe.why : ''}. `
      + 'Check that /usr/bin/chromium is installed with its SwiftShader Vulkan driver and launched with --enable-unsafe-webgpu --enable-unsafe-swiftshader.');
  });

  test('the index, demo and benchmark pages load with no console errors and fit a phone', async () => {
    for (const [path, ready] of [
      ['/web/index.html', () => true],
      ['/web/demo/', () => document.getElementById('model-status')?.textContent?.includes('WebGPU adapter') ?? false],
      ['/bench/web/', () => document.querySelectorAll('#served-models input').length > 0],
    ] as const) {
      const { page, errors } = await openPage(path);
      await page.waitForFunction(ready, null, { timeout: PAGE_LOAD_MS });
      await page.screenshot({ path: join(ARTIFACTS, `load${path.replace(/[/.]+/g, '-').replace(/-$/, '')}.png`), fullPage: true });
      // At a phone's width nothing may push the page sideways (long option texts, file inputs, fieldsets).
      await page.setViewportSize({ width: 390, height: 844 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await page.close();
      assert.deepEqual(errors, [], `${path} logged errors`);
      assert.equal(overflow, 0, `${path} is ${overflow} px wider than a 390 px screen`);
    }
  });

  test('the demo and live pages say clearly when WebGPU, the camera or the models are missing, at phone width', async () => {
    // A browser without WebGPU, on a phone-sized screen: each page must say so and fall back to the CPU backend,
    // and nothing may push the page sideways. Camera permission denied: the page says what to do about it.
    // Strings, not functions: tsx's name-keeping helpers do not exist inside the page.
    const noGpu = "Object.defineProperty(Navigator.prototype, 'gpu', { configurable: true, get() { return undefined; } });";
    const denied = "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));";
    for (const [path, backend, start] of [['/web/demo/', '#backend', '#webcam'], ['/web/demo/live.html', '#live-backend', '#live-start']] as const) {
      const page = await chromium.browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.setViewportSize({ width: 390, height: 844 });
      await page.addInitScript({ content: `${noGpu}\n${denied}` });
      await page.goto(`${chromium.server.url}${path}`, { timeout: PAGE_LOAD_MS });
      await page.waitForSelector('#messages .warning', { timeout: PAGE_LOAD_MS });
      assert.match(await page.textContent('#messages') ?? '', /WebGPU is not available: this browser has no WebGPU/, path);
      assert.equal(await page.inputValue(backend), 'cpu', path);
      await page.click(start);
      await page.waitForSelector('#messages .error', { timeout: PAGE_LOAD_MS });
      assert.match(await page.textContent('#messages .error') ?? '', /camera permission was denied: allow the camera for this site/, path);
      assert.equal(await page.isEnabled(start), true, `${path}: the start button is usable again`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      await page.screenshot({ path: join(ARTIFACTS, `phone${path.replace(/[/.]+/g, '-').replace(/-$/, '')}.png`), fullPage: true });
      await page.close();
      assert.equal(overflow, 0, `${path} is ${overflow} px wider than a 390 px screen`);
      assert.deepEqual(errors, [], `${path} logged errors`);
    }

    // buffalo_l is not on the test bed: loading it must name the missing file and where it was looked for, without
    // a failed request in the console (the listing is asked first), and a second try shows one message, not two.
    const missing = await chromium.browser.context.newPage();
    const errors = collectPageErrors(missing);
    await missing.goto(`${chromium.server.url}/web/demo/?pack=buffalo_l&backend=cpu&autorun=1`, { timeout: PAGE_LOAD_MS });
    await missing.waitForFunction(() => window.insightgpuDemo.state === 'failed', null, { timeout: PAGE_LOAD_MS });
    await missing.click('#load-models');
    await missing.waitForFunction(() => window.insightgpuDemo.state === 'failed' && !(document.getElementById('load-models') as HTMLButtonElement).disabled, null, { timeout: PAGE_LOAD_MS });
    const shown = await missing.locator('#messages .error').allTextContents();
    await missing.close();
    assert.equal(shown.length, 1, `messages: ${shown.join(' | ')}`);
    assert.match(shown[0]!, /det_10g\.onnx of buffalo_l is not available at .*\/models\/det_10g\.onnx/);
    assert.deepEqual(errors, [], 'demo logged errors');
  });

  test('the benchmark page completes a small run and its JSON has every row', async () => {
    const { page, errors } = await openPage(`/bench/web/?models=tiny_genderage.onnx&backends=${BACKENDS.join(',')}&warmup=1&runs=2&autorun=1`);
    await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuBench.state), null, { timeout: ANALYSIS_MS });
    const state = await page.evaluate(() => window.insightgpuBench);
    assert.equal(state.state, 'done', `benchmark failed: ${state.error}`);
    // The exported file is what a user gets: it must be the same report.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as BenchReport;
    await page.screenshot({ path: join(ARTIFACTS, 'bench-small-run.png'), fullPage: true });
    await page.close();
    assert.deepEqual(exported, state.report);
    const rows = exported.rows;
    assert.deepEqual(rows.map((r) => r.backend), [...BACKENDS], 'one row per backend, in order');
    for (const r of rows) {
      assert.equal(r.status, 'ok', `${r.backend}: ${r.error}`);
      assert.deepEqual(r.dims, [1, 3, 96, 96]);
      assert.equal(r.runs_ms?.length, 2);
      for (const k of ['cold_ms', 'median_ms', 'p90_ms'] as const) assert.ok(Number.isFinite(r[k]) && r[k]! > 0, `${r.backend} ${k} = ${r[k]}`);
      // Same input on every backend: outputs agree with onnxruntime-web's wasm backend (3 logits of a tiny head).
      assert.ok(r.max_abs_diff !== undefined && r.max_abs_diff !== null && r.max_abs_diff < 1e-3, `${r.backend}: max |Δ| ${r.max_abs_diff} vs ${r.reference}`);
    }
    for (const ours of ['insightgpu-webgpu', 'insightgpu-cpu'] as const) {
      const r = rows.find((x) => x.backend === ours)!;
      assert.ok(typeof r.ratio === 'number' && r.ratio > 0, `${ours} has no ratio to ${r.peer}`);
    }
    assert.equal(exported.adapter.available, true);
    assert.deepEqual(errors, [], 'benchmark page logged errors');
  });

  // onnxruntime-web's WebGPU backend spends minutes compiling on SwiftShader, so the forged model runs on the CPU-side
  // engines only (seconds): what is checked here is the forge in the page, not the WebGPU kernels.
  test('the benchmark page forges a replica in a worker, byte-identical to the Node forge, and benchmarks it', async () => {
    const { page, errors } = await openPage('/bench/web/?models=&replicas=genderage,2d106det&backends=insightgpu-cpu,ort-wasm&warmup=0&runs=1&autorun=1');
    await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuBench.state), null, { timeout: ANALYSIS_MS });
    const state = await page.evaluate(() => window.insightgpuBench);
    await page.close();
    assert.equal(state.state, 'done', `benchmark failed: ${state.error}`);
    const expected = (['2d106det', 'genderage'] as const).map((name) => {
      const bytes = forgeModel(name, DEFAULT_SEED);
      return [name, DEFAULT_SEED, bytes.byteLength, createHash('sha256').update(bytes).digest('hex')];
    });
    assert.deepEqual(state.forged?.map((f) => [f.replica, f.seed, f.bytes, f.sha256]), expected);
    const rows = state.report!.rows;
    assert.deepEqual(rows.map((r) => [r.model, r.backend]), ['2d106det', 'genderage'].flatMap((m) => [[forgedLabel(m), 'insightgpu-cpu'], [forgedLabel(m), 'ort-wasm']]));
    for (const r of rows) assert.equal(r.status, 'ok', `${r.model} ${r.backend}: ${r.error}`);
    // Outputs are O(1) (landmarks ±1, logits): a 1e-4 absolute gap to ort-wasm is the fp32 bound with room for wasm's FMA.
    for (const r of rows.filter((x) => x.backend === 'insightgpu-cpu')) assert.ok(r.max_abs_diff !== undefined && r.max_abs_diff !== null && r.max_abs_diff < 1e-4, `${r.model}: max |Δ| ${r.max_abs_diff}`);
    assert.deepEqual(errors, [], 'benchmark page logged errors');
  });

  test('the demo analyses t1.jpg through WebGPU like the Node CLI, draws the overlays, and caches the models', async () => {
    const cli = runNodeCli();
    cli.catch(() => undefined); // awaited below; keeps an early failure from being reported as unhandled
    const { page, errors } = await openPage('/web/demo/?pack=packA&det=320&backend=webgpu&image=/images/t1.jpg&autorun=1');
    await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuDemo.state), null, { timeout: ANALYSIS_MS });
    const state = await page.evaluate(() => window.insightgpuDemo);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-t1-webgpu.png'), fullPage: true });
    assert.equal(state.state, 'done', `demo failed: ${state.error}`);
    assert.equal(state.models?.backend, 'webgpu');
    const results = state.results!;
    writeFileSync(join(ARTIFACTS, 'demo-t1-webgpu.json'), JSON.stringify(results));

    const canvasShot = await page.locator('#canvas').screenshot({ path: join(ARTIFACTS, 'demo-t1-canvas.png') });
    const image = results.results[0]!;
    const overlay = await checkOverlay(canvasShot, image.width, image.faces.map((f) => f.bbox));
    assert.ok(overlay.lumaStdDev > 20, `canvas looks blank (luma std dev ${overlay.lumaStdDev.toFixed(1)})`);
    assert.ok(overlay.boxColourShare < 0.1, `too much box colour (${(overlay.boxColourShare * 100).toFixed(1)} %): not a picture with boxes`);
    overlay.boxCoverage.forEach((c, i) => assert.ok(c >= 0.9, `face ${i}: only ${(c * 100).toFixed(0)} % of its box outline is drawn`));
    await page.close();
    assert.deepEqual(errors, [], 'demo logged errors');

    const expected = await cli;
    assert.equal(image.faces.length, 6, 't1.jpg has 6 faces');
    const comparison = compareResults(results, expected);
    assert.ok(comparison.ok, `browser (WebGPU) vs Node CLI (cpu):\n${formatComparison(comparison)}`);

    // Second visit: every model file comes from the Cache API and no model request reaches the server.
    const again = await chromium.browser.context.newPage();
    const modelRequests: string[] = [];
    // Model files only: vite also serves the repo's own models/fetch/*.ts sources under /models/, which are code, not weights.
    again.on('request', (req) => { const p = new URL(req.url()).pathname; if (p.startsWith('/models/') && p.endsWith('.onnx')) modelRequests.push(req.url()); });
    await again.goto(`${chromium.server.url}/web/demo/?pack=packA&backend=cpu&autorun=1`, { timeout: PAGE_LOAD_MS });
    await again.waitForFunction(() => ['ready', 'failed'].includes(window.insightgpuDemo.state), null, { timeout: PAGE_LOAD_MS });
    const second = await again.evaluate(() => window.insightgpuDemo);
    await again.close();
    assert.equal(second.state, 'ready', `second load failed: ${second.error}`);
    assert.equal(second.models?.fromCache, PACKS.packA.length);
    assert.deepEqual(modelRequests, []);
  });

  test("the demo analyses webcam frames (chromium's fake camera) and stops the camera cleanly", async () => {
    const { page, errors } = await openPage('/web/demo/?pack=packA&det=320&backend=cpu&autorun=1');
    await page.waitForFunction(() => ['ready', 'failed'].includes(window.insightgpuDemo.state), null, { timeout: PAGE_LOAD_MS });
    const loaded = await page.evaluate(() => window.insightgpuDemo);
    assert.equal(loaded.state, 'ready', `models did not load: ${loaded.error}`);
    await page.click('#webcam');
    // The frame rate appears once a frame has gone through the whole pipeline.
    await page.waitForFunction(() => /^webcam: [\d.]+ frames\/s$/.test(document.getElementById('analysis-status')?.textContent ?? ''), null, { timeout: ANALYSIS_MS });
    const running = await page.evaluate(() => {
      const video = document.getElementById('video') as HTMLVideoElement;
      return { width: video.videoWidth, height: video.videoHeight, button: document.getElementById('webcam')?.textContent, state: window.insightgpuDemo.state };
    });
    const stream = await page.evaluateHandle(() => (document.getElementById('video') as HTMLVideoElement).srcObject as MediaStream);
    await page.click('#webcam');
    await page.waitForFunction(() => document.getElementById('webcam')?.textContent === 'Start webcam', null, { timeout: ANALYSIS_MS });
    const trackStates = await stream.evaluate((s) => s.getTracks().map((t) => t.readyState));
    // After the stop: while frames stream, each one redraws the canvas and the tables beside it, so Playwright may
    // never see the canvas stable for a screenshot (it timed out once). The last analysed frame stays drawn.
    await page.locator('#canvas').screenshot({ path: join(ARTIFACTS, 'demo-webcam-canvas.png') });

    // A text file opened as the image: the page names the file and why, and the next photo works without a reload.
    await page.setInputFiles('#image-file', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') });
    await page.waitForSelector('#messages .error', { timeout: ANALYSIS_MS });
    const badImage = await page.textContent('#messages .error') ?? '';
    const badStatus = await page.textContent('#analysis-status') ?? '';
    await page.click('#sample-image');
    // The camera's last frame may still finish first (analyses are queued): the sample's own result is waited for.
    await page.waitForFunction(() => window.insightgpuDemo.state === 'failed' || (window.insightgpuDemo.state === 'done' && window.insightgpuDemo.results?.results[0]?.image === 't1.jpg'), null, { timeout: ANALYSIS_MS });
    const after = await page.evaluate(() => ({ state: window.insightgpuDemo.state, faces: window.insightgpuDemo.results?.results[0]?.faces.length, errors: document.querySelectorAll('#messages .error').length }));
    await page.close();
    assert.match(badImage, /ImageError: bad image 'notes\.txt': this browser cannot decode it as an image \(14 bytes of type text\/plain/);
    assert.match(badStatus, /notes\.txt was not analysed/);
    assert.deepEqual(after, { state: 'done', faces: 6, errors: 0 }, 'the sample photo after the bad file');
    assert.equal(running.button, 'Stop webcam');
    assert.ok(running.width > 0 && running.height > 0, `no video frames (${running.width}×${running.height})`);
    assert.ok(['analysing', 'done'].includes(running.state), `demo state ${running.state}`);
    assert.ok(trackStates.length > 0 && trackStates.every((s) => s === 'ended'), `camera tracks after stop: ${trackStates.join(', ')}`);
    assert.deepEqual(errors, [], 'demo logged errors');
  });

  test('Swap mode says when the recognizer gives 128-d embeddings, which INSwapper cannot use', async () => {
    const { page, errors } = await openPage('/web/demo/?pack=packA&det=320&backend=cpu&mode=swap&image=/images/t1.jpg&autorun=1');
    await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuDemo.state), null, { timeout: ANALYSIS_MS });
    assert.equal(await page.evaluate(() => window.insightgpuDemo.state), 'done');
    await page.click('#gallery figure >> nth=0');
    // Settled once the swapper is loaded (the page loads it in Swap mode regardless, to say which one it has).
    await page.waitForFunction(() => window.insightgpuDemo.swap.swapper !== undefined || window.insightgpuDemo.swap.state === 'failed', null, { timeout: ANALYSIS_MS });
    const note = await page.textContent('#swap-recognizer-note') ?? '';
    const status = await page.textContent('#swap-status') ?? '';
    const disabled = await page.evaluate(() => [(document.getElementById('swap-run') as HTMLButtonElement).disabled, (document.getElementById('swap-webcam') as HTMLButtonElement).disabled]);
    const visible = await page.isVisible('#swap-recognizer-note');
    await page.screenshot({ path: join(ARTIFACTS, 'demo-swap-128d.png'), fullPage: true });
    await page.close();
    assert.match(note, /mobilefacenet\.onnx\) gives 128-d embeddings, but INSwapper needs a 512-d ArcFace embedding/);
    assert.ok(visible, 'the 128-d note is shown');
    assert.match(status, /128-d/);
    assert.deepEqual(disabled, [true, true], 'swap buttons stay disabled');
    assert.deepEqual(errors, [], 'demo logged errors');
  });

  // On the CPU backend, not WebGPU: SwiftShader runs WGSL on this machine's CPU cores, where this test took 369 s
  // (w600k_r50 on six faces and the swap network) against 15-25 s on the CPU backend. SWAP_BACKEND=webgpu runs it
  // on WebGPU (it passes there too). What is checked is the page's Swap mode; the WebGPU kernels have their own tests.
  test('Swap mode swaps a gallery face into a photo with a forged swapper, only around the target face, and downloads it', async () => {
    const { page, errors } = await openPage(`/web/demo/?pack=packA_r50&det=320&backend=${SWAP_BACKEND}&mode=swap&image=/images/t1.jpg&autorun=1`);
    await page.waitForFunction(() => ['done', 'failed'].includes(window.insightgpuDemo.state), null, { timeout: ANALYSIS_MS });
    const analysed = await page.evaluate(() => window.insightgpuDemo);
    assert.equal(analysed.state, 'done', `demo failed: ${analysed.error}`);
    assert.deepEqual(analysed.models?.forged, ['w600k_r50.onnx'], 'the 512-d recognizer is forged (not on the test bed)');
    assert.equal(analysed.swap.recognizerDims, 512);
    const image = analysed.results!.results[0]!;
    assert.equal(image.faces.length, 6);
    // InsightFace's example: faces sorted by x, the third is the source. The target is the largest other face.
    const byX = image.faces.map((f, i) => [f.bbox[0]!, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
    const sourceIndex = byX[2]!;
    const area = (b: readonly number[]): number => (b[2]! - b[0]!) * (b[3]! - b[1]!);
    const targetIndex = image.faces.map((f, i) => [area(f.bbox), i] as const).filter(([, i]) => i !== sourceIndex).sort((a, b) => b[0] - a[0])[0]![1];
    await page.click(`#gallery figure >> nth=${sourceIndex}`);
    await page.waitForFunction(() => window.insightgpuDemo.swap.swapper !== undefined || window.insightgpuDemo.swap.state === 'failed', null, { timeout: ANALYSIS_MS });
    await page.selectOption('#swap-target', String(targetIndex));
    await page.click('#swap-run');
    await page.waitForFunction(() => ['swapped', 'failed'].includes(window.insightgpuDemo.swap.state), null, { timeout: ANALYSIS_MS });
    const swap = await page.evaluate(() => window.insightgpuDemo.swap);
    await page.screenshot({ path: join(ARTIFACTS, 'demo-swap.png'), fullPage: true });
    await page.locator('#swap-canvas').screenshot({ path: join(ARTIFACTS, 'demo-swap-canvas.png') });
    assert.equal(swap.state, 'swapped', `swap failed: ${swap.error}`);
    assert.deepEqual([swap.swapper?.origin, swap.swapper?.width, swap.swapper?.file], ['forged', 128, 'inswapper_128.onnx']);
    assert.match(await page.textContent('#swap-swapper-note') ?? '', /no inswapper_128\.onnx is served next to the models, so the page forged a replica \(width 128/);
    assert.deepEqual(swap.source?.dims, 512);
    assert.deepEqual(swap.result?.faces, [targetIndex]);

    // The result against the unswapped photo, decoded the way the page decodes it.
    const compared = await page.evaluate(async () => {
      const res = await fetch('/images/t1.jpg');
      const bitmap = await createImageBitmap(await res.blob(), { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
      const off = new OffscreenCanvas(bitmap.width, bitmap.height);
      const octx = off.getContext('2d', { willReadFrequently: true })!;
      octx.drawImage(bitmap, 0, 0);
      const before = octx.getImageData(0, 0, bitmap.width, bitmap.height).data;
      const canvas = document.getElementById('swap-canvas') as HTMLCanvasElement;
      const after = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const changed: number[] = [];
      if (before.length === after.length) {
        for (let p = 0; p < after.length; p += 4) {
          if (before[p] !== after[p] || before[p + 1] !== after[p + 1] || before[p + 2] !== after[p + 2]) changed.push(p / 4);
        }
      }
      // FNV-1a over the RGBA bytes, to compare with the downloaded PNG.
      let h = 0x811c9dc5;
      for (let p = 0; p < after.length; p++) h = Math.imul(h ^ after[p]!, 0x01000193) >>> 0;
      return { width: canvas.width, height: canvas.height, changed, checksum: h, link: (document.getElementById('swap-download') as HTMLAnchorElement).href };
    });
    assert.deepEqual([compared.width, compared.height], [image.width, image.height], 'the result has the target photo\'s size');
    const region = swapRegion(invertAffine(estimateNorm(image.faces[targetIndex]!.kps!.flat(), 128)), 128);
    const outside = compared.changed.filter((p) => !insidePolygon(region, p % compared.width + 0.5, Math.floor(p / compared.width) + 0.5, 2));
    assert.deepEqual(outside.length, 0, `${outside.length} changed pixels lie outside the target face's pasted square (first at ${outside[0]! % compared.width}, ${Math.floor(outside[0]! / compared.width)})`);
    const [x1, y1, x2, y2] = image.faces[targetIndex]!.bbox as [number, number, number, number];
    const inBox = compared.changed.filter((p) => { const x = p % compared.width, y = Math.floor(p / compared.width); return x >= x1 && x < x2 && y >= y1 && y < y2; }).length;
    assert.ok(inBox > 0.5 * (x2 - x1) * (y2 - y1), `only ${inBox} pixels changed inside the target's box (${Math.round((x2 - x1) * (y2 - y1))} pixels)`);

    // The download is the result as a PNG.
    assert.match(compared.link, /^blob:/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#swap-download')]);
    assert.equal(download.suggestedFilename(), 't1-swapped.png');
    const png = readFileSync(await download.path());
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
    const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    writeFileSync(join(ARTIFACTS, 'demo-swap-download.png'), png);
    assert.deepEqual([info.width, info.height], [image.width, image.height]);
    assert.equal(checksum(data), compared.checksum, 'the PNG holds the canvas\'s pixels');

    // A webcam frame on demand: chromium's fake camera shows no face, which the page must say (or swap, if it finds one).
    // Double-clicked: the second click must not open the camera again under the first (it failed both with AbortError).
    await page.dblclick('#swap-webcam');
    await page.waitForFunction(() => window.insightgpuDemo.swap.state === 'failed' || (/no face in the webcam frame|swapped into/.test(document.getElementById('swap-status')?.textContent ?? '')
      && window.insightgpuDemo.results?.results[0]?.image === 'webcam-frame'), null, { timeout: ANALYSIS_MS });
    const frame = await page.evaluate(() => ({ results: window.insightgpuDemo.results!.results[0]!, swap: window.insightgpuDemo.swap, shown: [...document.querySelectorAll('#messages .error')].map((e) => e.textContent) }));
    await page.screenshot({ path: join(ARTIFACTS, 'demo-swap-webcam.png'), fullPage: true });
    await page.close();
    assert.deepEqual([frame.results.width, frame.results.height], [640, 480], 'a camera frame was analysed');
    if (frame.results.faces.length > 0) assert.equal(frame.swap.result?.target, 'webcam-frame');
    assert.deepEqual(frame.shown, [], 'no error shown after the webcam swap');
    assert.deepEqual(errors, [], 'demo logged errors');
  });

  test('Swap mode uses an inswapper_128.onnx served next to the models, or opened with the models, instead of forging one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'insightgpu-served-'));
    for (const f of PACKS.packA) symlinkSync(join(DIRS.models, f), join(dir, f));
    // A replica with another seed than the page's forge, standing in for the real file (same I/O, 15 MB).
    const swapper = forgeExtraModel('inswapper_128', 1, { width: 128 });
    writeFileSync(join(dir, 'inswapper_128.onnx'), swapper);
    const served = await startWebServer({ assets: { ...DIRS, models: dir } });
    try {
      const page = await chromium.browser.context.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${served.url}/web/demo/?pack=packA&backend=cpu&mode=swap&autorun=1`, { timeout: PAGE_LOAD_MS });
      await page.waitForFunction(() => window.insightgpuDemo.swap.swapper !== undefined || ['failed'].includes(window.insightgpuDemo.state) || window.insightgpuDemo.swap.state === 'failed', null, { timeout: ANALYSIS_MS });
      const swap = await page.evaluate(() => window.insightgpuDemo.swap);
      const note = await page.textContent('#swap-swapper-note') ?? '';
      await page.screenshot({ path: join(ARTIFACTS, 'demo-swap-served.png'), fullPage: true });
      await page.close();
      assert.deepEqual([swap.swapper?.origin, swap.swapper?.file, swap.swapper?.bytes], ['served', 'inswapper_128.onnx', swapper.byteLength], `swapper: ${swap.error}`);
      assert.match(note, /^Swapper: inswapper_128\.onnx \(15\.\d MB, served from \/models\/\)/);
      assert.doesNotMatch(note, /forged/);
      assert.deepEqual(errors, [], 'demo logged errors');

      // Opened with "or files": the swapper is picked out of the opened files, the rest go to FaceAnalysis.
      const opened = await chromium.browser.context.newPage();
      const openedErrors = collectPageErrors(opened);
      await opened.goto(`${chromium.server.url}/web/demo/?backend=cpu&mode=swap`, { timeout: PAGE_LOAD_MS });
      await opened.waitForFunction(() => document.getElementById('model-status')?.textContent?.includes('WebGPU adapter') ?? false, null, { timeout: PAGE_LOAD_MS });
      await opened.setInputFiles('#model-files', [...PACKS.packA, 'inswapper_128.onnx'].map((f) => join(dir, f)));
      await opened.click('#load-models');
      await opened.waitForFunction(() => window.insightgpuDemo.swap.swapper !== undefined || ['failed'].includes(window.insightgpuDemo.state) || window.insightgpuDemo.swap.state === 'failed', null, { timeout: ANALYSIS_MS });
      const fromFiles = await opened.evaluate(() => window.insightgpuDemo);
      await opened.close();
      assert.equal(fromFiles.state, 'ready', `models did not load: ${fromFiles.error}`);
      assert.equal(fromFiles.models?.count, PACKS.packA.length, 'the swapper is not handed to FaceAnalysis');
      assert.deepEqual([fromFiles.swap.swapper?.origin, fromFiles.swap.swapper?.bytes], ['opened', swapper.byteLength]);
      assert.deepEqual(openedErrors, [], 'demo logged errors');
    } finally {
      await served.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

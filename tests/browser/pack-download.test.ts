/**
 * `FaceAnalysis.create({ models: 'buffalo_l', download: true })` in chromium: a page has no pack downloader (it reads
 * and writes no files), so the call is refused with the typed PipelineOptionError naming `download`, on the main
 * thread and through createFaceAnalysisWorker (which takes the files' bytes only), without anything hanging.
 *
 *   node --import tsx --test tests/browser/pack-download.test.ts
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RUN_MS, useChromium } from './chromium-fixture.js';

const chromium = useChromium();

interface Refusal {
  readonly settled: 'resolved' | 'rejected';
  readonly name?: string;
  readonly option?: string;
  readonly message?: string;
  readonly isOptionError?: boolean;
}

describe('pack download in a browser page', { timeout: 600_000 }, () => {
  test('download: true is a PipelineOptionError on the main thread and through the Worker', async () => {
    const { page, errors } = await chromium.openPage('/web/index.html', { defaultTimeoutMs: RUN_MS });
    // A string: tsx's helpers do not exist inside the page.
    const report = await page.evaluate(`import('/src/index.ts').then(async (m) => {
      const settle = (p) => p.then(
        () => ({ settled: 'resolved' }),
        (e) => ({ settled: 'rejected', name: e?.name, option: e?.option, message: String(e?.message), isOptionError: e instanceof m.PipelineOptionError }));
      return {
        main: await settle(m.FaceAnalysis.create({ models: 'buffalo_l', download: true })),
        worker: await settle(m.createFaceAnalysisWorker({ models: 'buffalo_l', download: true })),
        workerFiles: await settle(m.createFaceAnalysisWorker({ models: { files: {} }, download: true })),
      };
    })`) as { main: Refusal; worker: Refusal; workerFiles: Refusal };
    await page.close();
    assert.deepEqual([report.main.settled, report.main.name, report.main.option, report.main.isOptionError], ['rejected', 'PipelineOptionError', 'download', true], JSON.stringify(report.main));
    assert.match(report.main.message ?? '', /no pack downloader/);
    for (const [what, r, option] of [['pack name', report.worker, 'models'], ['files', report.workerFiles, 'download']] as const) {
      assert.deepEqual([r.settled, r.name, r.option, r.isOptionError], ['rejected', 'PipelineOptionError', option, true], `worker, ${what}: ${JSON.stringify(r)}`);
      assert.match(r.message ?? '', /reads no files and downloads nothing.*\{ models: \{ files \} \}/, `worker, ${what}`);
    }
    assert.deepEqual(errors, []);
  });
});

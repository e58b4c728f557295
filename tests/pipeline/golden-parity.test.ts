import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../cli/main.js';
import { compareResults, formatComparison } from '../../cli/compare-results.js';
import type { ResultsFile } from '../../cli/results-format.js';
import { InferenceSession } from '../../src/session/session.js';
import { sharedPath } from './helpers.js';

// Dawn finds SwiftShader (a CPU Vulkan driver) through this ICD when no GPU exists.
process.env['VK_ICD_FILENAMES'] ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

const goldenDir = sharedPath('golden');
const goldens = readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort();

/** The golden's five files in a folder of their own, as InsightFace loaded them. */
function packFolder(golden: ResultsFile): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'insightgpu-pack-'));
  for (const file of Object.values(golden.models)) {
    const from = sharedPath('models', file);
    try {
      symlinkSync(from, path.join(dir, file));
    } catch {
      copyFileSync(from, path.join(dir, file));
    }
  }
  return dir;
}

/**
 * WebGPU must be there: CI has SwiftShader, so a missing adapter fails the webgpu goldens rather than skipping
 * them (a skipped check must not read as passing). Returns the adapter's description for the log.
 */
async function requireWebGpu(): Promise<string> {
  const s = await InferenceSession.create(readFileSync(sharedPath('models', 'tiny_genderage.onnx')), { backend: 'webgpu' });
  const description = s.backend.description;
  await s.release();
  return description;
}

const backends: { name: 'cpu' | 'webgpu'; wants: (g: ResultsFile) => boolean }[] = [
  { name: 'cpu', wants: () => true },
  // SwiftShader is slow: only the small detector size runs there. packA_det320 (t1.jpg: one SCRFD-2.5G@320 and six
  // MobileFaceNet forwards) measured 182-240 s on the shared 2-core box at load 8-12 (06:28-06:43 UTC, budget 4 min).
  { name: 'webgpu', wants: (g) => (g.det_size as number[]).every((v) => v <= 320) },
];

for (const backend of backends) {
  describe(`golden parity through the CLI (${backend.name})`, async () => {
    for (const file of goldens) {
      const golden = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as ResultsFile;
      // Reported as skipped (not passed): the 640 goldens run on the cpu backend; SwiftShader is too slow for them.
      const skip = backend.wants(golden) ? false : 'det size too large for a software GPU (checked on the cpu backend)';
      it(file, { skip, timeout: 20 * 60_000 }, async () => {
        if (backend.name === 'webgpu') console.log(`webgpu adapter: ${await requireWebGpu()}`);
        const started = performance.now();
        const runDir = mkdtempSync(path.join(tmpdir(), 'insightgpu-run-'));
        const out = path.join(runDir, 'results.json');
        const size = golden.det_size as number[];
        const images = golden.results.map((r) => sharedPath('images', r.image));
        const code = await main([
          'analyze', '--models', packFolder(golden), '--det-size', `${size[0]}x${size[1]}`, '--det-thresh', String(golden.det_thresh),
          '--max-num', String(golden.max_num), '--backend', backend.name, '--json', out, '--draw', path.join(runDir, 'drawn'), '--quiet', ...images,
        ]);
        assert.equal(code, 0, 'analyze exit code');
        const actual = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
        assert.deepEqual(actual.models, golden.models, 'routing: taskname → file');
        assert.deepEqual(actual.det_size, golden.det_size);
        // Tolerances (TESTBED.md) live in compareResults: IoU ≥ 0.9 matching, bbox/kps 2 px, score 0.02,
        // landmarks 3 px (z 5), pose 3°, gender equal, age 2, embedding cosine ≥ 0.995.
        const comparison = compareResults(actual, golden);
        console.log(`${backend.name} ${file} (${((performance.now() - started) / 1000).toFixed(1)} s): ${formatComparison(comparison)}`);
        assert.ok(comparison.ok, comparison.failures.join('\n'));
        // --draw wrote one annotated PNG per image, at the image's size.
        for (const r of golden.results) {
          const meta = await sharp(path.join(runDir, 'drawn', r.image.replace(/\.[^.]*$/, '.png'))).metadata();
          assert.deepEqual([meta.format, meta.width, meta.height], ['png', r.width, r.height]);
        }
      });
    }
  });
}

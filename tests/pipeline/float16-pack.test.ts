/**
 * FaceAnalysis on a pack whose recognition file is float16 (the forge's float16 variant of mobilefacenet, under the
 * same file name, beside symlinks to pack A's other four files): t1.jpg at det size 320 on the cpu backend matches
 * InsightFace's golden output for the float32 pack within the goldens' tolerances (embedding cosine ≥ 0.995).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { main } from '../../cli/main.js';
import { compareResults, formatComparison } from '../../cli/compare-results.js';
import type { ResultsFile } from '../../cli/results-format.js';
import { parseModel } from '../../src/parser/decode-model.js';
import { toFloat16Model } from '../../models/forge/float16.js';
import { GOLDEN_320, packAFolder } from '../cli/collection.js';
import { sharedPath } from './helpers.js';

it('a pack with a float16 recognition file gives InsightFace\'s golden faces and embeddings (cpu, det 320)', { timeout: 5 * 60_000 }, async () => {
  const pack = packAFolder();
  const recognition = GOLDEN_320.models['recognition']!;
  const { bytes } = toFloat16Model(readFileSync(sharedPath('models', recognition)));
  const target = path.join(pack, recognition);
  writeFileSync(`${target}.tmp`, bytes);
  // Replaces the symlink itself, not the shared file it points to.
  renameSync(`${target}.tmp`, target);
  const weights = [...parseModel(readFileSync(target)).graph.initializers.values()];
  assert.ok(weights.length > 0 && weights.every((t) => t.type === 'float16'), 'the pack holds the float16 file');

  const out = path.join(mkdtempSync(path.join(tmpdir(), 'insightgpu-f16-')), 'results.json');
  const size = GOLDEN_320.det_size as number[];
  const code = await main([
    'analyze', '--models', pack, '--det-size', `${size[0]}x${size[1]}`, '--det-thresh', String(GOLDEN_320.det_thresh),
    '--max-num', String(GOLDEN_320.max_num), '--backend', 'cpu', '--json', out, '--quiet',
    ...GOLDEN_320.results.map((r) => sharedPath('images', r.image)),
  ]);
  assert.equal(code, 0, 'analyze exit code');
  const actual = JSON.parse(readFileSync(out, 'utf8')) as ResultsFile;
  assert.deepEqual(actual.models, GOLDEN_320.models, 'routing: the float16 file is still the recognition model');
  // The goldens' tolerances (TESTBED.md, in compareResults); the float16 weights move mobilefacenet's embeddings by
  // cosine ~1e-5 (tests/parity/float16.ts), far inside 0.995.
  const comparison = compareResults(actual, GOLDEN_320);
  console.log(`float16 recognition, cpu: lowest embedding cosine vs golden ${comparison.worst.embedding_cosine.toFixed(6)}; ${formatComparison(comparison)}`);
  assert.ok(comparison.ok, comparison.failures.join('\n'));
});


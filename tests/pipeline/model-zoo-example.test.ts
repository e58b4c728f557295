/**
 * The seed tutorial (examples/model-zoo.ts) as a test: run in-process (type-checked through this import) and as the
 * documented command, on the test bed's models; its printed detections must match InsightFace's golden and its
 * authentication verdicts must hold (each face matches its mirror image, none matches Tom Hanks).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { ResultsFile } from '../../cli/results-format.js';
import { main, SAME_PERSON } from '../../examples/model-zoo.js';
import { sharedPath } from './helpers.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const golden = JSON.parse(readFileSync(sharedPath('golden', 'packA_det640.json'), 'utf8')) as ResultsFile;
const goldenT1 = golden.results.find((r) => r.image === 't1.jpg')!;

/** Checks the printed lines: one bbox line per golden face (within 2 px, score within 0.02), six verdict lines. */
function checkPrinted(lines: readonly string[]): void {
  assert.equal(lines[0], `detection: ${goldenT1.faces.length} faces in t1.jpg`);
  const boxes = lines.filter((l) => /^ {2}face \d+: bbox/.test(l)).map((l) => l.match(/-?\d+\.\d+/g)!.map(Number));
  assert.equal(boxes.length, goldenT1.faces.length);
  goldenT1.faces.forEach((face, i) => {
    const printed = boxes[i]!;
    face.bbox.forEach((v, k) => assert.ok(Math.abs(printed[k]! - v) <= 2 + 0.05, `face ${i} bbox[${k}]: ${printed[k]} vs ${v}`));
    assert.ok(Math.abs(printed[4]! - face.det_score) <= 0.02 + 0.0005, `face ${i} score`);
  });
  assert.ok(lines.includes('recognition: 112×112 crops, mean 127.5, std 127.5, 128-d embeddings'), lines.join('\n'));
  const verdicts = lines.filter((l) => l.includes('vs its mirror'));
  assert.equal(verdicts.length, goldenT1.faces.length);
  for (const line of verdicts) assert.match(line, /\(same person\); vs Tom Hanks: sim -?\d\.\d{4} \(different person\)$/);
}

describe('examples/model-zoo.ts (InsightFace\'s model-zoo tutorial)', () => {
  it('main(): detection alone, then recognition and authentication with computeSim', async () => {
    const lines: string[] = [];
    const result = await main({ models: sharedPath('models'), images: sharedPath('images'), backend: 'cpu', log: (l) => lines.push(l) });
    checkPrinted(lines);
    assert.equal(result.faces, goldenT1.faces.length);
    for (const sim of result.mirrorSims) assert.ok(sim >= SAME_PERSON && sim <= 1.000001, `mirror sim ${sim}`);
    for (const sim of result.tomSims) assert.ok(sim < SAME_PERSON, `Tom Hanks sim ${sim}`);
    // A clear margin between the same person (mirrored) and another one.
    const worstMirror = Math.min(...result.mirrorSims);
    const bestTom = Math.max(...result.tomSims);
    assert.ok(worstMirror - bestTom > 0.3, `margin ${worstMirror} vs ${bestTom}`);
  });

  it('runs as documented: npx tsx examples/model-zoo.ts MODELS IMAGES cpu', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import', 'tsx', path.join(repoRoot, 'examples', 'model-zoo.ts'), sharedPath('models'), sharedPath('images'), 'cpu',
    ], { cwd: repoRoot, timeout: 120_000 });
    checkPrinted(stdout.split('\n').filter((l) => l.length > 0));
  });
});

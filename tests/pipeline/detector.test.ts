import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InferenceSession } from '../../src/session/session.js';
import { Tensor } from '../../src/core/tensor.js';
import { CpuPreprocessor } from '../../src/pipeline/preprocess/preprocessor.js';
import { ScrfdDetector } from '../../src/pipeline/scrfd.js';
import { createBgrImage } from '../../src/pipeline/image.js';

interface Hit { stride: number; x: number; y: number; anchor: number; score: number; dist: number[] }

/**
 * A stand-in SCRFD session (9 outputs, dynamic input) that reports given anchors for each blob size, so the
 * detector's multi-size merge, sorting and NMS can be checked without running a network.
 */
function fakeScrfd(hitsBySize: Record<string, Hit[]>, names = ['s8', 's16', 's32', 'b8', 'b16', 'b32', 'k8', 'k16', 'k32']): InferenceSession {
  const fake = {
    inputMetadata: [{ name: 'input.1', isTensor: true, type: 'float32', shape: [1, 3, '?', '?'] }],
    outputNames: names,
    async run(feeds: Record<string, Tensor>) {
      const [, , h, w] = feeds['input.1']!.dims as number[];
      const out: Record<string, Tensor> = {};
      [8, 16, 32].forEach((s, level) => {
        const rows = Math.floor(h! / s) * Math.floor(w! / s) * 2;
        const scores = new Float32Array(rows), boxes = new Float32Array(rows * 4), kps = new Float32Array(rows * 10);
        for (const hit of hitsBySize[`${w}x${h}`] ?? []) {
          if (hit.stride !== s) continue;
          const r = (hit.y * Math.floor(w! / s) + hit.x) * 2 + hit.anchor;
          scores[r] = hit.score;
          boxes.set(hit.dist, r * 4);
        }
        out[names[level]!] = new Tensor('float32', scores, [rows, 1]);
        out[names[level + 3]!] = new Tensor('float32', boxes, [rows, 4]);
        out[names[level + 6]!] = new Tensor('float32', kps, [rows, 10]);
      });
      return out;
    },
  };
  return fake as unknown as InferenceSession;
}

describe('ScrfdDetector (multi-size detection, InsightFace 1.0.1)', () => {
  const image = createBgrImage(64, 64);
  const pre = new CpuPreprocessor();
  const base = { threshold: 0.5, maxNum: 0, metric: 'default' as const };

  it('merges sizes in image coordinates and suppresses the weaker duplicate', async () => {
    const session = fakeScrfd({
      // At 64²: a face at blob/image [8, 8, 24, 24] (cell 2,2 of stride 8, distances 1 → ±8 px).
      '64x64': [{ stride: 8, x: 2, y: 2, anchor: 0, score: 0.7, dist: [1, 1, 1, 1] }],
      // At 128² (det_scale 2): the same face, stronger, plus a second one at image [32, 32, 48, 48].
      '128x128': [
        { stride: 8, x: 4, y: 4, anchor: 1, score: 0.9, dist: [2, 2, 2, 2] },
        { stride: 16, x: 5, y: 5, anchor: 0, score: 0.6, dist: [1, 1, 1, 1] },
      ],
    });
    const det = await new ScrfdDetector(session).detectRows(image, pre, { ...base, sizes: [[64, 64], [128, 128]] });
    assert.equal(det.count, 2);
    assert.deepEqual(Array.from(det.scores), [0.9, 0.6].map(Math.fround));
    assert.deepEqual(Array.from(det.boxes), [8, 8, 24, 24, 32, 32, 48, 48]);
  });

  it('on exact score ties follows the chain of stable-then-reversed sorts', async () => {
    // Within one size three sorts (per size, merged, NMS) visit the later decoded row first; across sizes the
    // per-size sort cannot reorder, so the last two sorts leave the earlier size first.
    const session = fakeScrfd({
      '64x64': [
        { stride: 8, x: 2, y: 2, anchor: 0, score: 1, dist: [1, 1, 1, 1] },
        // Same score, a box 2 px wider: the survivor tells which candidate NMS visited first.
        { stride: 8, x: 2, y: 2, anchor: 1, score: 1, dist: [1, 1, 1.25, 1] },
      ],
      '128x128': [{ stride: 8, x: 4, y: 4, anchor: 0, score: 1, dist: [2, 2, 2.75, 2] }],
    });
    const detector = new ScrfdDetector(session);
    const single = await detector.detectRows(image, pre, { ...base, sizes: [[64, 64]] });
    assert.deepEqual(Array.from(single.boxes), [8, 8, 26, 24]);
    const merged = await detector.detectRows(image, pre, { ...base, sizes: [[128, 128], [64, 64]] });
    // The 128² candidate (x2 = (32 + 22) / 2 = 27) comes from the size listed first.
    assert.deepEqual(Array.from(merged.boxes), [8, 8, 27, 24]);
  });

  it('applies max_num after NMS, ordering by the metric', async () => {
    const session = fakeScrfd({
      '64x64': [
        // Small box at the centre (score high) and a bigger box in the corner (score low).
        { stride: 8, x: 4, y: 4, anchor: 0, score: 0.95, dist: [0.5, 0.5, 0.5, 0.5] },
        { stride: 16, x: 0, y: 0, anchor: 0, score: 0.55, dist: [0, 0, 1.5, 1.5] },
      ],
    });
    const detector = new ScrfdDetector(session);
    const byMax = await detector.detectRows(image, pre, { ...base, sizes: [[64, 64]], maxNum: 1, metric: 'max' });
    assert.deepEqual(Array.from(byMax.boxes), [0, 0, 24, 24]);
    const byDefault = await detector.detectRows(image, pre, { ...base, sizes: [[64, 64]], maxNum: 1, metric: 'default' });
    assert.deepEqual(Array.from(byDefault.boxes), [28, 28, 36, 36]);
    const all = await detector.detectRows(image, pre, { ...base, sizes: [[64, 64]], maxNum: 5 });
    assert.equal(all.count, 2);
  });

  it('reads outputs by graph order even when their names are numeric', async () => {
    // Numeric keys reorder in a JS object (446 < 449 < 452 < 466 …); decoding must not follow that order.
    const names = ['446', '466', '486', '449', '469', '489', '452', '472', '492'];
    const session = fakeScrfd({ '64x64': [{ stride: 16, x: 1, y: 1, anchor: 0, score: 0.8, dist: [1, 1, 1, 1] }] }, names);
    const det = await new ScrfdDetector(session).detectRows(image, pre, { ...base, sizes: [[64, 64]] });
    assert.deepEqual(Array.from(det.boxes), [0, 0, 32, 32]);
  });
});

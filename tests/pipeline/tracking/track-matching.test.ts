import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignGreedy, contestedDetections, gateCandidates } from '../../../src/pipeline/tracking/track-matching.js';
import { OneEuroFilter } from '../../../src/pipeline/tracking/one-euro.js';

describe('track matching (greedy on IoU, embedding as tie-breaker)', () => {
  it('takes pairs in IoU order and leaves the rest unmatched', () => {
    // tracks × detections; 0.2 is under the 0.3 gate.
    const ious = [[0.9, 0.2, 0], [0.5, 0.6, 0], [0, 0, 0]];
    const c = gateCandidates(ious, 0.3);
    const r = assignGreedy(c, 3, 3, 0, () => undefined);
    assert.deepEqual(r.pairs, [[0, 0], [1, 1]]);
    assert.deepEqual(r.unmatchedTracks, [2]);
    assert.deepEqual(r.unmatchedDetections, [2]);
  });

  it('lets the embedding decide between pairs whose IoUs lie within the margin', () => {
    // Track 0 overlaps both detections almost equally; detection 1 looks like it (cosine 0.9 against 0.1).
    const ious = [[0.62, 0.6], [0, 0.55]];
    const c = gateCandidates(ious, 0.3);
    assert.deepEqual(contestedDetections(c, 0.1), [0, 1]);
    const sims = [[0.1, 0.9], [0.8, 0.2]];
    const r = assignGreedy(c, 2, 2, 0.1, (t, d) => sims[t]![d]);
    assert.deepEqual(r.pairs, [[0, 1]]);
    assert.deepEqual(r.unmatchedDetections, [0]);
    // Without embeddings, IoU order decides.
    assert.deepEqual(assignGreedy(c, 2, 2, 0.1, () => undefined).pairs, [[0, 0], [1, 1]]);
  });
});

describe('OneEuroFilter', () => {
  it('passes the first sample, holds a constant, and follows a step monotonically', () => {
    const f = new OneEuroFilter({ minCutoff: 1, beta: 0, dCutoff: 1 });
    assert.deepEqual(Array.from(f.filter([5, -2], 0)), [5, -2]);
    assert.deepEqual(Array.from(f.filter([5, -2], 1 / 30)), [5, -2]);
    let last = 5;
    for (let k = 2; k < 60; k++) {
      const v = f.filter([15, -2], k / 30)[0]!;
      assert.ok(v > last && v < 15, `step ${k}: ${v}`);
      last = v;
    }
    // With beta = 0 it is a first-order low-pass at 1 Hz: after 58 steps of 1/30 s, (1 − α)^58 of the step is left.
    const tau = 1 / (2 * Math.PI), dt = 1 / 30, a = 1 / (1 + tau / dt);
    assert.ok(Math.abs(last - (15 - 10 * (1 - a) ** 58)) < 1e-4); // float32 storage of the output
  });
});

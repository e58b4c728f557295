import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tensor } from '../../src/core/tensor.js';
import { decodeScrfd, rescaleDetections, scrfdLayout } from '../../src/pipeline/scrfd-decode.js';
import { nms } from '../../src/pipeline/nms.js';
import { selectMaxNum } from '../../src/pipeline/max-num.js';
import { argsortDescending } from '../../src/pipeline/sort-order.js';
import { ModelContractError } from '../../src/pipeline/errors.js';

/** Zeroed SCRFD outputs for a blob of w×h, with a callback to fill rows. */
function fakeOutputs(outputCount: number, w: number, h: number, batched: boolean): Tensor[] {
  const layout = scrfdLayout(outputCount)!;
  const out: Tensor[] = [];
  for (const kind of [1, 4, 10].slice(0, layout.useKps ? 3 : 2)) {
    for (const s of layout.strides) {
      const rows = Math.floor(h / s) * Math.floor(w / s) * layout.anchorsPerCell;
      out.push(new Tensor('float32', new Float32Array(rows * kind), batched ? [1, rows, kind] : [rows, kind]));
    }
  }
  return out;
}

describe('decodeScrfd', () => {
  it('knows the four head layouts by output count', () => {
    assert.deepEqual(scrfdLayout(6), { fmc: 3, strides: [8, 16, 32], anchorsPerCell: 2, useKps: false });
    assert.deepEqual(scrfdLayout(9), { fmc: 3, strides: [8, 16, 32], anchorsPerCell: 2, useKps: true });
    assert.deepEqual(scrfdLayout(10), { fmc: 5, strides: [8, 16, 32, 64, 128], anchorsPerCell: 1, useKps: false });
    assert.deepEqual(scrfdLayout(15), { fmc: 5, strides: [8, 16, 32, 64, 128], anchorsPerCell: 1, useKps: true });
    assert.equal(scrfdLayout(7), undefined);
  });

  for (const batched of [false, true]) {
    it(`decodes distances from top-left anchor centres, 9 outputs${batched ? ', rank-3 (batched)' : ''}`, () => {
      const outs = fakeOutputs(9, 64, 32, batched);
      // Stride 16 (level 1): grid 2 rows × 4 cols × 2 anchors; row r = (y·4 + x)·2 + a → y=1, x=2, a=1 is r=13.
      (outs[1]!.data as Float32Array)[13] = 0.75;
      (outs[4]!.data as Float32Array).set([1, 2, 3, 4], 13 * 4);
      (outs[7]!.data as Float32Array).set([0.5, -0.5, 1, 1, 0, 0, 2, 2, -1, 0], 13 * 10);
      // Stride 8: exactly at the threshold is kept; just below is not.
      (outs[0]!.data as Float32Array)[0] = 0.5;
      (outs[0]!.data as Float32Array)[1] = Math.fround(0.49999997);
      const d = decodeScrfd(outs, scrfdLayout(9)!, 64, 32, 0.5);
      assert.equal(d.count, 2);
      assert.deepEqual(Array.from(d.scores), [0.5, 0.75]);
      const cx = 2 * 16, cy = 1 * 16;
      assert.deepEqual(Array.from(d.boxes.subarray(4, 8)), [cx - 16, cy - 32, cx + 48, cy + 64]);
      assert.deepEqual(Array.from(d.kps!.subarray(10, 20)), [cx + 8, cy - 8, cx + 16, cy + 16, cx, cy, cx + 32, cy + 32, cx - 16, cy]);
    });
  }

  it('handles 1 anchor per cell and 5 levels (15 outputs), and 6 outputs without keypoints', () => {
    const outs = fakeOutputs(15, 128, 128, false);
    // Stride 128: a single cell at (0, 0).
    (outs[4]!.data as Float32Array)[0] = 0.9;
    (outs[9]!.data as Float32Array).set([0.1, 0.1, 0.2, 0.2]);
    const d = decodeScrfd(outs, scrfdLayout(15)!, 128, 128, 0.5);
    assert.equal(d.count, 1);
    assert.deepEqual(Array.from(d.boxes), [-12.8, -12.8, 25.6, 25.6].map(Math.fround));
    const six = decodeScrfd(fakeOutputs(6, 32, 32, false), scrfdLayout(6)!, 32, 32, 0);
    assert.equal(six.kps, null);
    assert.equal(six.count, 4 * 4 * 2 + 2 * 2 * 2 + 1 * 1 * 2);
  });

  it('refuses outputs that do not fit the anchor grid', () => {
    assert.throws(() => decodeScrfd(fakeOutputs(9, 64, 64, false), scrfdLayout(9)!, 96, 64, 0.5), ModelContractError);
  });

  it('divides by f32(det_scale) in float32', () => {
    const d = rescaleDetections({ count: 1, boxes: new Float32Array([10, 20, 30, 40]), scores: new Float32Array([1]), kps: null }, 443 / 886);
    assert.deepEqual(Array.from(d.boxes), [20, 40, 60, 80]);
    const odd = rescaleDetections({ count: 1, boxes: new Float32Array([100, 0, 0, 0]), scores: new Float32Array([1]), kps: null }, 221 / 886);
    assert.equal(odd.boxes[0], Math.fround(100 / Math.fround(221 / 886)));
  });
});

describe('argsortDescending', () => {
  it('reverses a stable ascending sort, so ties come out in descending index order', () => {
    assert.deepEqual(argsortDescending([0.5, 0.9, 0.5, 1, 1]), [4, 3, 1, 2, 0]);
  });

  it('puts NaN first, as np.argsort(x)[::-1] does (NaN sorts last ascending)', () => {
    // Expected orders printed by NumPy 1.24: np.argsort(np.float32([...]))[::-1].
    assert.deepEqual(argsortDescending([0.5, NaN, 0.9, 0.1, NaN, 0.7]), [4, 1, 2, 5, 0, 3]);
    assert.deepEqual(argsortDescending([0.3, 0.5, NaN, 0.9, 0.1, 0.2, 0.8, NaN, 0.4, -Infinity, Infinity]), [7, 2, 10, 3, 6, 1, 8, 0, 5, 4, 9]);
  });

  it('lets a NaN max_num value win, as InsightFace does', () => {
    // Box 1 has an infinite width, so its area minus offset is Inf − Inf = NaN.
    const boxes = new Float32Array([10, 10, 50, 50, 0, 0, Infinity, 20, 60, 60, 70, 70]);
    assert.deepEqual(selectMaxNum(boxes, 100, 100, 2, 'default'), [1, 0]);
  });
});

describe('nms', () => {
  it('uses +1 areas and keeps a candidate whose IoU equals the threshold', () => {
    // With +1 sizes B = [0,0,9,9] is 10×10 and C = [0,0,9,3] is 10×4 inside it: IoU = 40 / 100 = 0.4 exactly.
    const boxes = new Float32Array([0, 0, 9, 9, 0, 0, 9, 3, 0, 0, 9, 4]);
    const scores = new Float32Array([0.9, 0.8, 0.7]);
    // C (IoU 0.4 with B's +1 area) survives; D = [0,0,9,4]: inter 50/100 = 0.5 is suppressed.
    assert.deepEqual(nms(boxes, scores, 0.4), [0, 1]);
    const swapped = new Float32Array([0, 0, 9, 9, 0, 0, 9, 4, 0, 0, 9, 3]);
    assert.deepEqual(nms(swapped, scores, 0.4), [0, 2]);
  });

  it('visits in score order and keeps disjoint boxes', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 100, 100, 110, 110, 1, 1, 11, 11]);
    assert.deepEqual(nms(boxes, new Float32Array([0.6, 0.7, 0.8]), 0.4), [2, 1]);
  });

  it('breaks exact score ties towards the later row', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 0, 0, 10, 10]);
    assert.deepEqual(nms(boxes, new Float32Array([1, 1]), 0.4), [1]);
  });
});

describe('selectMaxNum', () => {
  const boxes = new Float32Array([
    0, 0, 40, 40, // big, far from the centre of a 200×200 image
    90, 90, 110, 110, // small, centred
    80, 80, 125, 125, // medium, near the centre
  ]);
  it("'max' keeps the largest areas", () => {
    assert.deepEqual(selectMaxNum(boxes, 200, 200, 2, 'max'), [2, 0]);
  });
  it("'default' subtracts twice the squared centre offset", () => {
    // values: 1600 − 2·(80²+80²) = −24000; 400 − 0 = 400; 2025 − 2·(2.5²·2) = 2000
    assert.deepEqual(selectMaxNum(boxes, 200, 200, 3, 'default'), [2, 1, 0]);
    assert.deepEqual(selectMaxNum(boxes, 200, 200, 1, 'default'), [2]);
  });
});

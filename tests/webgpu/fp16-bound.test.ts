/**
 * The fp16 path's numerics without a GPU: binary16 rounding itself (exhaustively, against IEEE 754's definition),
 * then the CPU emulation of the path (bench/node/fp16-emulation.ts) against fp32 on the test-bed models at small
 * sizes, within the stated bounds of fp16-bounds.ts (measured at full size by bench/node/bench-fp16-bound.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { float16Bits, float16Value, roundToFloat16 } from '../../src/core/float16.js';
import { decodeImageNode } from '../../src/pipeline/decode-node.js';
import { letterbox } from '../../src/pipeline/preprocess/letterbox.js';
import { blobFromImages } from '../../src/pipeline/preprocess/blob.js';
import { boundRow } from '../../bench/node/bench-fp16-bound.js';
import { detectionBound } from '../../bench/node/fp16-detection.js';
import { cosine } from '../../bench/node/fp16-emulation.js';
import { sharedPath } from '../pipeline/helpers.js';
import { FP16_RELATIVE_BOUND, GOLDEN_TOLERANCE } from './fp16-bounds.js';
import { seededTensor } from './fp16-inputs.js';

describe('binary16 rounding', () => {
  it('every finite half round-trips, and every midpoint between neighbours rounds to the even one', () => {
    for (let h = 0; h < 0x7c00; h++) {
      for (const sign of [0, 0x8000]) {
        const v = float16Value(h | sign);
        assert.equal(float16Bits(v), h | sign, `half 0x${(h | sign).toString(16)}`);
        // The midpoint to the next half up is exact in float32 (halves have 11 significant bits).
        const next = float16Value((h + 1) | sign);
        const mid = (v + next) / 2;
        const even = (h & 1) === 0 ? h : h + 1;
        assert.equal(float16Bits(mid), even | sign, `midpoint above 0x${h.toString(16)}`);
      }
    }
  });
  it('overflows to infinity past the largest half and keeps NaN', () => {
    assert.equal(roundToFloat16(65504), 65504); // the largest finite half, (2 − 2⁻¹⁰)·2¹⁵
    assert.equal(roundToFloat16(65519.99), 65504); // below the midpoint to 2¹⁶
    assert.equal(roundToFloat16(65520), Infinity); // the midpoint rounds to even: the (infinite) next step
    assert.equal(roundToFloat16(-1e9), -Infinity);
    assert.ok(Number.isNaN(roundToFloat16(NaN)));
    assert.equal(roundToFloat16(2 ** -25), 0); // half the smallest subnormal ties to even (zero)
    assert.equal(roundToFloat16(2 ** -25 * 1.5), 2 ** -24);
  });
});

const worst = (outputs: Record<string, number>): number => Math.max(...Object.values(outputs));

describe('the fp16 path emulated on the CPU stays within its bound against fp32', () => {
  it('scrfd_2.5g on t1.jpg at 320: outputs, and the faces the goldens compare', async () => {
    const t1 = await decodeImageNode(sharedPath('images/t1.jpg'));
    const { image, detScale } = letterbox(t1, [320, 320]);
    const r = boundRow('scrfd_2.5g@320', sharedPath('models/scrfd_2.5g_bnkps.onnx'), new Map([['input.1', blobFromImages([image], { mean: 127.5, std: 128 })]]), 't1');
    assert.ok(worst(r.row.outputs) <= FP16_RELATIVE_BOUND.scrfd!, JSON.stringify(r.row.outputs));
    const d = detectionBound(r.wide, r.half, 320, detScale);
    assert.ok(d.faces[0] > 0, 'fp32 finds faces at 320');
    assert.equal(d.faces[1], d.faces[0]);
    assert.equal(d.matched, d.faces[0]);
    assert.ok(d.boxPx <= GOLDEN_TOLERANCE.boxPx && d.kpsPx <= GOLDEN_TOLERANCE.kpsPx && d.score <= GOLDEN_TOLERANCE.score, JSON.stringify(d));
  });
  it('mobilefacenet on the Tom Hanks crop: embedding cosine', async () => {
    const crop = await decodeImageNode(sharedPath('images/Tom_Hanks_54745.png'));
    const r = boundRow('mobilefacenet', sharedPath('models/mobilefacenet.onnx'), new Map([['input', blobFromImages([crop], { mean: 127.5, std: 127.5 })]]), 'crop');
    assert.ok(worst(r.row.outputs) <= FP16_RELATIVE_BOUND.mobilefacenet!, JSON.stringify(r.row.outputs));
    const [w] = [...r.wide.values()];
    const [h] = [...r.half.values()];
    assert.ok(cosine(w!.data as Float32Array, h!.data as Float32Array) >= GOLDEN_TOLERANCE.cosine);
  });
  for (const [name, size] of [['tiny_2d106', 192], ['tiny_3d68', 192], ['tiny_genderage', 96]] as const) {
    it(name, () => {
      const r = boundRow(name, sharedPath(`models/${name}.onnx`), new Map([['data', seededTensor([1, 3, size, size], 7, 0, 255)]]), 'pixels');
      assert.ok(worst(r.row.outputs) <= FP16_RELATIVE_BOUND.tiny!, JSON.stringify(r.row.outputs));
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyAffine, type Affine2x3 } from '../../src/pipeline/affine.js';
import { boxCropTransform } from '../../src/pipeline/crop-transform.js';
import { ARCFACE_TEMPLATE, estimateNorm } from '../../src/pipeline/norm-crop.js';
import { estimatePose, fitAffine3d, MEANSHAPE_68 } from '../../src/pipeline/pose.js';
import { estimateSimilarity } from '../../src/pipeline/similarity.js';
import { PipelineOptionError } from '../../src/pipeline/errors.js';
import { seededRandom } from './helpers.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

describe('estimateSimilarity', () => {
  it('recovers an exact similarity from transformed points', () => {
    const rnd = seededRandom(5);
    for (let trial = 0; trial < 10; trial++) {
      const angle = (rnd() - 0.5) * 3, scale = 0.2 + rnd() * 3, tx = rnd() * 200 - 100, ty = rnd() * 200 - 100;
      const m: Affine2x3 = [scale * Math.cos(angle), -scale * Math.sin(angle), tx, scale * Math.sin(angle), scale * Math.cos(angle), ty];
      const src = Array.from({ length: 10 }, () => rnd() * 300);
      const dst: number[] = [];
      for (let k = 0; k < 5; k++) dst.push(...applyAffine(m, src[2 * k]!, src[2 * k + 1]!));
      const est = estimateSimilarity(src, dst);
      est.forEach((v, i) => close(v, m[i]!, 1e-9 * Math.max(1, Math.abs(m[i]!)), `trial ${trial} element ${i}`));
    }
  });

  it('is the least-squares fit when points are noisy (residual not improvable by small perturbations)', () => {
    const src = [10, 10, 50, 12, 30, 40, 15, 60, 48, 61];
    const dst = [40, 50, 75, 52, 57, 72, 42, 90, 71, 92];
    const m = estimateSimilarity(src, dst);
    const residual = (a: number, b: number, c: number, d: number): number => {
      let s = 0;
      for (let k = 0; k < 5; k++) {
        const [x, y] = [src[2 * k]!, src[2 * k + 1]!];
        s += (a * x - b * y + c - dst[2 * k]!) ** 2 + (b * x + a * y + d - dst[2 * k + 1]!) ** 2;
      }
      return s;
    };
    const best = residual(m[0], m[3], m[2], m[5]);
    for (const [da, db, dc, dd] of [[1e-4, 0, 0, 0], [0, 1e-4, 0, 0], [0, 0, 1e-3, 0], [0, 0, 0, 1e-3], [-1e-4, 1e-4, 0, 0]]) {
      assert.ok(residual(m[0] + da!, m[3] + db!, m[2] + dc!, m[5] + dd!) > best);
      assert.ok(residual(m[0] - da!, m[3] - db!, m[2] - dc!, m[5] - dd!) > best);
    }
  });
});

describe('estimateNorm (ArcFace alignment)', () => {
  it('maps the template onto itself with the identity at 112', () => {
    const m = estimateNorm(ARCFACE_TEMPLATE, 112);
    [1, 0, 0, 0, 1, 0].forEach((v, i) => close(m[i]!, v, 1e-6, `element ${i}`));
  });
  it('scales and shifts the template for multiples of 128', () => {
    const m = estimateNorm(ARCFACE_TEMPLATE, 128);
    // Same points → scale 128/128 = 1 and dx = 8.
    [1, 0, 8, 0, 1, 0].forEach((v, i) => close(m[i]!, v, 1e-5, `element ${i}`));
    assert.throws(() => estimateNorm(ARCFACE_TEMPLATE, 100));
  });
});

describe('boxCropTransform (Landmark/Attribute crop)', () => {
  it('centres the box and scales its longer side to 2/3 of the crop', () => {
    const m = boxCropTransform([100, 50, 160, 170], 192);
    const scale = 192 / (120 * 1.5);
    assert.deepEqual(m, [scale, 0, 96 - 130 * scale, 0, scale, 96 - 110 * scale]);
    const [cx, cy] = applyAffine(m, 130, 110);
    assert.deepEqual([cx, cy], [96, 96]);
  });
});

describe('estimatePose', () => {
  const deg = Math.PI / 180;
  function rotation(pitch: number, yaw: number, roll: number): number[][] {
    // R = Rz(roll)·Ry(yaw)·Rx(pitch): the convention the Euler extraction inverts.
    const [a, b, g] = [pitch * deg, yaw * deg, roll * deg];
    const Rx = [[1, 0, 0], [0, Math.cos(a), -Math.sin(a)], [0, Math.sin(a), Math.cos(a)]];
    const Ry = [[Math.cos(b), 0, Math.sin(b)], [0, 1, 0], [-Math.sin(b), 0, Math.cos(b)]];
    const Rz = [[Math.cos(g), -Math.sin(g), 0], [Math.sin(g), Math.cos(g), 0], [0, 0, 1]];
    const mul = (A: number[][], B: number[][]): number[][] => A.map((row) => [0, 1, 2].map((j) => row.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
    return mul(Rz, mul(Ry, Rx));
  }

  for (const [pitch, yaw, roll] of [[10, -20, 5], [-35, 40, -60], [0, 0, 0], [80, 15, -170]] as const) {
    it(`recovers pitch ${pitch}, yaw ${yaw}, roll ${roll} from a scaled, moved mean shape`, () => {
      const R = rotation(pitch, yaw, roll);
      const scale = 87.5, t = [320, 240, 12];
      const Y = new Float32Array(68 * 3);
      for (let i = 0; i < 68; i++) {
        for (let r = 0; r < 3; r++) {
          Y[i * 3 + r] = scale * (R[r]![0]! * MEANSHAPE_68[i * 3]! + R[r]![1]! * MEANSHAPE_68[i * 3 + 1]! + R[r]![2]! * MEANSHAPE_68[i * 3 + 2]!) + t[r]!;
        }
      }
      const pose = estimatePose(Y);
      // float32 landmarks: angles good to ~1e-3°.
      close(pose[0], pitch, 2e-3, 'pitch');
      close(pose[1], yaw, 2e-3, 'yaw');
      close(pose[2], roll, 2e-3, 'roll');
    });
  }

  it('fitAffine3d solves an exact affine map', () => {
    const P = [[1.5, 0.2, -0.3, 4], [0.1, -2, 0.5, -1], [0.7, 0.3, 1.1, 2]];
    const Y = new Float64Array(68 * 3);
    for (let i = 0; i < 68; i++) for (let r = 0; r < 3; r++) {
      Y[i * 3 + r] = P[r]![0]! * MEANSHAPE_68[i * 3]! + P[r]![1]! * MEANSHAPE_68[i * 3 + 1]! + P[r]![2]! * MEANSHAPE_68[i * 3 + 2]! + P[r]![3]!;
    }
    const fit = fitAffine3d(MEANSHAPE_68, Y);
    fit.forEach((row, r) => row.forEach((v, c) => close(v, P[r]![c]!, 1e-9, `P[${r}][${c}]`)));
  });
});

describe('alignment helpers with point lists of the wrong length', () => {
  it('refuse them with PipelineOptionError instead of returning a NaN matrix', () => {
    const kps = ARCFACE_TEMPLATE.slice(0, 10);
    // Before: estimateNorm of 3 values, and estimateSimilarity of 2 points onto 1, returned six NaNs.
    assert.throws(() => estimateNorm([1, 2, 3], 112), (e) => e instanceof PipelineOptionError && /kps: 3 values, expected 10/.test(e.message));
    assert.throws(() => estimateSimilarity([1, 2, 3, 4], [1, 2]), (e) => e instanceof PipelineOptionError && /4 and 2 values/.test(e.message));
    assert.throws(() => estimateSimilarity([1, 2, 3], [1, 2, 3]), (e) => e instanceof PipelineOptionError && /pairs/.test(e.message));
    assert.throws(() => estimateSimilarity([], []), PipelineOptionError);
    // Five points still align: the template onto itself is the identity.
    estimateNorm(kps, 112).forEach((v, i) => close(v, [1, 0, 0, 0, 1, 0][i]!, 1e-6, `M[${i}]`));
  });
});

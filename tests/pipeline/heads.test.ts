import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseModel } from '../../src/parser/decode-model.js';
import { decodeGenderAge } from '../../src/pipeline/attribute.js';
import { boxCropTransform } from '../../src/pipeline/crop-transform.js';
import { computeSim, Face } from '../../src/pipeline/face.js';
import { decodeLandmarks } from '../../src/pipeline/landmark.js';
import { probeNormalisation, routeModel } from '../../src/pipeline/model-router.js';
import { sharedPath } from './helpers.js';

function fakeModel(inputs: (number | string)[][], outputs: number): Parameters<typeof routeModel>[0] {
  return {
    inputMetadata: inputs.map((shape, i) => ({ name: `in${i}`, isTensor: true as const, type: 'float32' as const, shape })),
    outputNames: Array.from({ length: outputs }, (_, i) => `out${i}`),
  };
}

describe('routeModel (InsightFace ModelRouter)', () => {
  it('applies the rules in order', () => {
    assert.equal(routeModel(fakeModel([[1, 3, '?', '?']], 9)), 'detection');
    assert.equal(routeModel(fakeModel([[1, 3, 192, 192]], 5)), 'detection');
    assert.equal(routeModel(fakeModel([['None', 3, 192, 192]], 1)), 'landmark');
    assert.equal(routeModel(fakeModel([['None', 3, 96, 96]], 1)), 'attribute');
    assert.equal(routeModel(fakeModel([[1, 3, 128, 128], [1, 512]], 1)), 'inswapper');
    assert.equal(routeModel(fakeModel([[1, 3, 128, 128]], 1)), 'recognition');
    assert.equal(routeModel(fakeModel([['None', 3, 112, 112]], 1)), 'recognition');
    assert.equal(routeModel(fakeModel([[1, 3, 100, 100]], 1)), undefined);
    assert.equal(routeModel(fakeModel([[1, 3, 120, 120]], 1)), undefined);
    assert.equal(routeModel(fakeModel([[1, 3, 'h', 'h']], 1)), undefined);
  });

  it('probes node names for in-graph normalisation', () => {
    const names = (...n: string[]): { name: string }[] => n.map((name) => ({ name }));
    assert.deepEqual(probeNormalisation(names('_minusscalar0', '_mulscalar0', 'conv0'), 'landmark'), { mean: 0, std: 1 });
    assert.deepEqual(probeNormalisation(names('Sub_1', 'x', 'Mul_2'), 'recognition'), { mean: 0, std: 1 });
    assert.deepEqual(probeNormalisation(names('Sub_1', 'conv'), 'recognition'), { mean: 127.5, std: 127.5 });
    assert.deepEqual(probeNormalisation(names('conv', 'bn_data'), 'attribute'), { mean: 0, std: 1 });
    assert.deepEqual(probeNormalisation(names('conv', 'bn_data'), 'recognition'), { mean: 127.5, std: 127.5 });
    assert.deepEqual(probeNormalisation(names('a', 'b', 'c', 'bn_data'), 'landmark'), { mean: 127.5, std: 128 });
    // Only the first 8 nodes count.
    assert.deepEqual(probeNormalisation(names('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'Sub', 'Mul'), 'landmark'), { mean: 127.5, std: 128 });
    assert.deepEqual(probeNormalisation(names('Sub', 'Mul'), 'detection'), { mean: 127.5, std: 128 });
  });

  it('gives the shared models the normalisation InsightFace reports', () => {
    const probe = (file: string, cls: 'recognition' | 'landmark' | 'attribute') => probeNormalisation(parseModel(readFileSync(sharedPath('models', file))).graph.nodes, cls);
    assert.deepEqual(probe('mobilefacenet.onnx', 'recognition'), { mean: 127.5, std: 127.5 });
    assert.deepEqual(probe('tiny_2d106.onnx', 'landmark'), { mean: 0, std: 1 });
    assert.deepEqual(probe('tiny_genderage.onnx', 'attribute'), { mean: 0, std: 1 });
  });
});

describe('decodeLandmarks', () => {
  const crop = boxCropTransform([100, 100, 196, 196], 192); // scale 192/144 = 4/3, box centre → crop centre
  it('maps (p + 1)·96 back through the inverse crop (2-D)', () => {
    const pred = new Float32Array([0, 0, -1, -1, 0.5, 0.25]);
    const pts = decodeLandmarks(pred, 3, 192, crop);
    // Crop (96, 96) is the box centre (148, 148); crop (0, 0) is 96·3/4 = 72 px up-left of it.
    assert.deepEqual(Array.from(pts), [148, 148, 76, 76, 148 + 48 * 0.75, 148 + 24 * 0.75]);
  });

  it('keeps the last rows of a long 3-D prediction and scales z by 1/crop scale', () => {
    const pred = new Float32Array(3309);
    // Last row (point 67): x = y = 0, z = 0.5 → z' = 0.5·96 / (4/3) = 36.
    pred.set([0, 0, 0.5], 3306);
    // Row 1102 − 67 = 1035 is point 0.
    pred.set([-1, -1, 0], 1035 * 3);
    const pts = decodeLandmarks(pred, 68, 192, crop);
    assert.equal(pts.length, 68 * 3);
    assert.deepEqual(Array.from(pts.subarray(0, 3)), [76, 76, 0]);
    assert.deepEqual(Array.from(pts.subarray(67 * 3)), [148, 148, 36]);
  });
});

describe('decodeGenderAge', () => {
  it('argmax with the first index winning ties; age rounds half to even', () => {
    assert.deepEqual(decodeGenderAge([0.2, 0.7, 0.125]), { gender: 1, age: 12 });
    assert.deepEqual(decodeGenderAge([0.7, 0.2, 0.375]), { gender: 0, age: 38 });
    assert.deepEqual(decodeGenderAge([0.5, 0.5, -0.125]), { gender: 0, age: -12 });
    assert.deepEqual(decodeGenderAge(new Float32Array([0, 1, 0.135])), { gender: 1, age: 14 });
  });
});

describe('Face', () => {
  it('derives embedding_norm, normed_embedding and sex', () => {
    const face = new Face(new Float32Array([0, 0, 10, 10]), undefined, 0.9);
    assert.equal(face.embedding_norm, undefined);
    assert.equal(face.sex, undefined);
    face.embedding = new Float32Array([3, 4]);
    face.gender = 1;
    assert.equal(face.embedding_norm, 5);
    assert.deepEqual(Array.from(face.normed_embedding!), [0.6, 0.8].map(Math.fround));
    assert.equal(face.sex, 'M');
    face.gender = 0;
    assert.equal(face.sex, 'F');
  });

  it('computeSim is the cosine similarity', () => {
    assert.equal(computeSim([1, 0], [0, 2]), 0);
    assert.equal(computeSim([1, 1], [2, 2]), Math.fround(1));
    assert.equal(computeSim([1, 2, 3], [-1, -2, -3]), -1);
  });
});

/**
 * A Face serialises as InsightFace's JSON (the goldens' format): plain arrays, points as rows, InsightFace's names,
 * in the goldens' key order; Face.fromJSON reads it back. The CLI writes through the same method.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { faceRecord, type ResultsFile } from '../../cli/results-format.js';
import { computeSim, Face, PipelineOptionError, type FaceRecord } from '../../src/pipeline/index.js';
import { sharedPath } from './helpers.js';

const golden = JSON.parse(readFileSync(sharedPath('golden', 'packA_det640.json'), 'utf8')) as ResultsFile;
const record = golden.results[0]!.faces[0]!;
/** The golden's numbers as float32 (Face holds float32 arrays; the goldens hold numpy float32 values as doubles). */
const asFloat32 = (r: FaceRecord): FaceRecord => JSON.parse(JSON.stringify(r, (k, v: unknown) => (typeof v === 'number' && k !== 'gender' && k !== 'age' && k !== 'det_score' ? Math.fround(v) : v))) as FaceRecord;

describe('Face JSON', () => {
  it('JSON.stringify gives the golden format, keys in its order', () => {
    const face = Face.fromJSON(record);
    const parsed = JSON.parse(JSON.stringify(face)) as FaceRecord;
    assert.deepEqual(Object.keys(parsed), Object.keys(record));
    assert.deepEqual(parsed, asFloat32(record));
    assert.ok(Array.isArray(parsed.bbox) && Array.isArray(parsed.kps![0]));
  });

  it('reads back what it writes, and the CLI writes the same', () => {
    const face = Face.fromJSON(record);
    const again = Face.fromJSON(JSON.parse(JSON.stringify(face)) as FaceRecord);
    assert.deepEqual(again.toJSON(), face.toJSON());
    assert.deepEqual(faceRecord(face), face.toJSON());
    assert.equal(again.normed_embedding!.length, record.embedding!.length);
  });

  it('omits what the pack lacks, and refuses a malformed record', () => {
    const bare = new Face(Float32Array.of(1, 2, 3, 4), undefined, 0.5);
    assert.equal(JSON.stringify(bare), '{"bbox":[1,2,3,4],"det_score":0.5}');
    assert.throws(() => Face.fromJSON({ ...record, bbox: [1, 2, 3] }), PipelineOptionError);
    assert.throws(() => Face.fromJSON({ ...record, kps: [[1, 2]] }), /face\.kps/);
    assert.throws(() => Face.fromJSON({ bbox: [1, 2, 3, 4] } as unknown as FaceRecord), /det_score/);
  });
});

describe('computeSim', () => {
  it('refuses embeddings of different or zero length instead of comparing a prefix', () => {
    // Before: [1, 0, 0] against [1, 0] scored 1 (the common prefix), and two empty embeddings NaN.
    assert.throws(() => computeSim([1, 0, 0], [1, 0]), (e) => e instanceof PipelineOptionError && /lengths 3 and 2 differ/.test(e.message));
    assert.throws(() => computeSim([], []), (e) => e instanceof PipelineOptionError && /empty/.test(e.message));
    assert.equal(computeSim([1, 0], [3, 4]), Math.fround(3 / 5));
  });
});

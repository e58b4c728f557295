/**
 * getModel works on its own copy of the bytes, as InferenceSession.create does: a caller that reuses, overwrites or
 * transfers its buffer after the call changes nothing in the model it got. Real recognizer, CPU backend.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ArcFaceModel, FaceAnalysis, getModel, loadImage } from '../../src/index.js';
import { imageFrom, sharedPath } from './helpers.js';

const file = sharedPath('models', 'mobilefacenet.onnx');
const crop = imageFrom(112, 112, (x, y, c) => (x * 7 + y * 3 + c * 50) % 256);

async function embedding(bytes: Uint8Array | ArrayBuffer, spoil?: () => void): Promise<number[]> {
  const model = await getModel(bytes, { backend: 'cpu' });
  assert.ok(model instanceof ArcFaceModel);
  spoil?.();
  try {
    return [...(await model.getFeat(crop))[0]!];
  } finally {
    await model.release();
  }
}

describe('the bytes given to getModel', () => {
  test('overwriting or transferring the caller\'s buffer after the call leaves the model\'s weights intact', async () => {
    const expected = await embedding(readFileSync(file));
    const overwritten = readFileSync(file);
    assert.deepEqual(await embedding(overwritten, () => overwritten.fill(0)), expected);
    const reused = new Uint8Array(readFileSync(file));
    // A caller reading the next file into the same buffer.
    assert.deepEqual(await embedding(reused, () => reused.set(readFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx')).subarray(0, reused.length))), expected);
    const buffer = new Uint8Array(readFileSync(file)).buffer;
    assert.deepEqual(await embedding(buffer, () => structuredClone(buffer, { transfer: [buffer] })), expected);
  });
});

describe('the bytes given to FaceAnalysis.create as { files }', () => {
  test('overwriting the caller\'s buffers after create leaves the pack\'s models intact', async () => {
    const img = await loadImage(sharedPath('images', 't1.jpg'));
    const run = async (spoil: boolean): Promise<number[]> => {
      const files = { 'det.onnx': readFileSync(sharedPath('models', 'scrfd_500m_bnkps.onnx')), 'rec.onnx': readFileSync(file) };
      const app = await FaceAnalysis.create({ models: { files }, backend: 'cpu' });
      try {
        if (spoil) for (const bytes of Object.values(files)) bytes.fill(0);
        app.prepare({ detSize: [320, 320] });
        const faces = await app.get(img);
        assert.ok(faces.length > 0);
        return [...faces[0]!.embedding!, faces[0]!.det_score];
      } finally {
        await app.release();
      }
    };
    assert.deepEqual(await run(true), await run(false));
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { FaceAnalysis } from '../../src/pipeline/face-analysis.js';
import { ImageError, PipelineOptionError } from '../../src/pipeline/errors.js';
import { loadImage } from '../../src/pipeline/image-source.js';
import type { BgrImage } from '../../src/pipeline/image.js';
import { sharedPath } from './helpers.js';

const pack = ['scrfd_2.5g_bnkps', 'mobilefacenet', 'tiny_2d106', 'tiny_3d68', 'tiny_genderage'];

describe('FaceAnalysis.getBatch (cpu, det 320)', () => {
  let app: FaceAnalysis;
  let images: BgrImage[];

  before(async () => {
    const files = Object.fromEntries(pack.map((n) => [`${n}.onnx`, readFileSync(sharedPath('models', `${n}.onnx`))]));
    app = (await FaceAnalysis.create({ models: { files }, backend: 'cpu' })).prepare({ detSize: [320, 320] });
    const t1 = sharedPath('images', 't1.jpg');
    // Three images with 6, 6 and 0 faces, one of them a different size.
    images = [
      await loadImage(t1),
      await loadImage(new Uint8Array(await sharp(t1).flop().resize(960).png().toBuffer())),
      await loadImage(new Uint8Array(await sharp({ create: { width: 40, height: 30, channels: 3, background: '#808080' } }).png().toBuffer())),
    ];
  });
  after(async () => app?.release());

  it('returns, per image, exactly the faces get returns for it alone', async () => {
    const batched = await app.getBatch(images);
    assert.equal(batched.length, images.length);
    assert.deepEqual(batched.map((faces) => faces.length), [6, 6, 0]);
    for (const [i, image] of images.entries()) {
      // Identical, not close: the same crops go through the same batch sizes, so every float matches.
      assert.equal(JSON.stringify(batched[i]), JSON.stringify(await app.get(image)), `image ${i}`);
    }
  });

  it('applies maxNum per image', async () => {
    const batched = await app.getBatch(images, { maxNum: 2 });
    assert.deepEqual(batched.map((faces) => faces.length), [2, 2, 0]);
    assert.equal(JSON.stringify(batched[1]), JSON.stringify(await app.get(images[1]!, { maxNum: 2 })));
  });

  it('takes paths and bytes, returns [] for no input, and throws an ImageError for a bad one', async () => {
    assert.deepEqual(await app.getBatch([]), []);
    const [fromPath] = await app.getBatch([sharedPath('images', 't1.jpg')]);
    assert.equal(JSON.stringify(fromPath), JSON.stringify(await app.get(images[0]!)));
    await assert.rejects(app.getBatch([images[0]!, new Uint8Array([1, 2, 3])]), ImageError);
    await assert.rejects(app.getBatch(images, { maxNum: -1 }), PipelineOptionError);
    // The queue survives a failed call.
    assert.equal((await app.getBatch([images[2]!]))[0]!.length, 0);
  });
});

/**
 * INSwapper's contract on tiny models built here (fast): the checks of `create`, the latent, the crop's arithmetic
 * through our own InferenceSession, and bad input (a face at the border, a 1×1 image, a 128-d source).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, after } from 'node:test';
import { parseModel } from '../../../src/parser/decode-model.js';
import { ModelContractError, PipelineOptionError, ImageError } from '../../../src/pipeline/errors.js';
import { Face } from '../../../src/pipeline/face.js';
import { ARCFACE_TEMPLATE, estimateNorm } from '../../../src/pipeline/norm-crop.js';
import { warpAffine } from '../../../src/pipeline/preprocess/warp-affine.js';
import { INSwapper } from '../../../src/pipeline/swap/inswapper.js';
import { DT, node, tensor, valueInfo } from '../../parser/onnx-builder.js';
import { identity512, swapModel, type Init } from './swap-models.js';
import { imageFrom, px, seededRandom } from '../helpers.js';
import { sharedDir } from './golden-swap.js';

/** Five keypoints placing a face of `scale` × the 128-crop template with its crop's top-left at (x0, y0). */
function kpsAt(x0: number, y0: number, scale: number): Float32Array {
  return Float32Array.from(ARCFACE_TEMPLATE, (v, i) => (i % 2 === 0 ? (v + 8) * scale + x0 : v * scale + y0));
}

const rnd = seededRandom(11);
const source = Float32Array.from({ length: 512 }, () => rnd() - 0.5);
const image = imageFrom(240, 200, (x, y, c) => (x * 3 + y * 5 + c * 70) % 256);

describe('INSwapper on a model whose network is the identity (our InferenceSession, cpu)', async () => {
  const swapper = await INSwapper.create(swapModel(), { backend: 'cpu' });
  after(() => swapper.release());

  it('reads emap from the last initializer and normalises the latent', () => {
    const latent = swapper.latent(source);
    const norm = Math.hypot(...source);
    // emap = I, so the latent is the normed embedding; float32 rounding twice (normed, then latent) — 1e-6 relative.
    latent.forEach((v, i) => assert.ok(Math.abs(v - source[i]! / norm) < 1e-6, `${i}`));
    assert.ok(Math.abs(Math.hypot(...latent) - 1) < 1e-6);
    // A Face gives its normed_embedding; the same latent as the raw array.
    const face = new Face(new Float32Array(4), undefined, 1);
    face.embedding = source;
    assert.deepEqual(swapper.latent(face), latent);
  });

  it('pasteBack false: the crop is norm_crop2 (estimate_norm at 128) of the image, through blob/255 and clip(255·x) truncation', async () => {
    const kps = kpsAt(60, 40, 1.1);
    const { crop, M } = await swapper.get(image, { kps }, source, { pasteBack: false });
    assert.deepEqual(M, estimateNorm(kps, 128));
    const aimg = warpAffine(image, M, 128, 128);
    const table = Array.from({ length: 256 }, (_, v) => Math.trunc(Math.fround(255 * Math.fround(v * Math.fround(1 / 255)))));
    // f32(255 · f32(v · f32(1/255))) truncates back to v for every uint8 v (checked here, so the identity network
    // must give the aligned crop itself, bit for bit).
    assert.ok(table.every((t, v) => t === v));
    assert.deepEqual(crop.data, aimg.data);
  });

  it('a face at the image border: the crop is black where it leaves the image and the paste keeps the size', async () => {
    const kps = kpsAt(-50, -40, 1);
    const { crop } = await swapper.get(image, { kps }, source, { pasteBack: false });
    for (const c of [0, 1, 2]) assert.equal(px(crop, 10, 10, c), 0, 'outside the image is borderValue 0');
    assert.ok(px(crop, 100, 100, 0) > 0 || px(crop, 100, 100, 1) > 0);
    const merged = await swapper.get(image, { kps }, source);
    assert.equal(merged.width, 240);
    assert.equal(merged.height, 200);
    for (const c of [0, 1, 2]) assert.equal(px(merged, 200, 150, c), px(image, 200, 150, c), 'far from the face nothing changes');
    // The paste never brings the black fill in: the mask comes from where the crop covers the image.
    assert.ok(merged.data.some((v, i) => v !== image.data[i]));
  });

  it('a 1×1 image: the crop is black, a face elsewhere cannot be pasted (ImageError), a face on the pixel can', async () => {
    const tiny = imageFrom(1, 1, (_x, _y, c) => 100 + c);
    const { crop } = await swapper.get(tiny, { kps: kpsAt(60, 40, 1) }, source, { pasteBack: false });
    assert.ok(crop.data.every((v) => v === 0));
    await assert.rejects(swapper.get(tiny, { kps: kpsAt(60, 40, 1) }, source), ImageError);
    const onPixel = await swapper.get(tiny, { kps: kpsAt(0, 0, 1 / 128) }, source);
    assert.equal(onPixel.width, 1);
    assert.equal(onPixel.height, 1);
  });

  it('a 128-d source embedding, a source without embedding and unusable keypoints are refused with the reason', async () => {
    const small = new Face(new Float32Array(4), undefined, 1);
    small.embedding = new Float32Array(128).fill(0.1);
    for (const s of [small, new Float32Array(128)]) {
      await assert.rejects(swapper.get(image, { kps: kpsAt(60, 40, 1) }, s), (e: unknown) => e instanceof PipelineOptionError
        && /INSwapper needs a 512-d ArcFace latent; this embedding gives 128/.test(e.message));
    }
    const none = new Face(new Float32Array(4), undefined, 1);
    await assert.rejects(swapper.get(image, { kps: kpsAt(60, 40, 1) }, none), /has no embedding/);
    await assert.rejects(swapper.get(image, { kps: undefined }, source), /has no keypoints/);
    await assert.rejects(swapper.get(image, { kps: new Float32Array(10).fill(Number.NaN) }, source), /keypoint value 0 is NaN/);
    await assert.rejects(swapper.get(image, { kps: new Float32Array(10).fill(50) }, source), /degenerate/);
    await assert.rejects(swapper.get(image, { kps: kpsAt(60, 40, 1) }, new Float32Array(512)), /all zeros/);
  });

  it('a pasteBack that is not a boolean is refused, not read as true', async () => {
    for (const value of [0, 'false', null]) {
      await assert.rejects(swapper.get(image, { kps: kpsAt(60, 40, 1) }, source, { pasteBack: value as unknown as boolean }),
        (e: unknown) => e instanceof PipelineOptionError && /option pasteBack: .* is not true or false/.test(e.message));
    }
  });
});

describe('INSwapper.create refuses files that are not an INSwapper', () => {
  const refused = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(() => INSwapper.withNetwork(parseModel(bytes).graph, async () => new Float32Array()), (e: unknown) => e instanceof ModelContractError && pattern.test(e.message));
  };
  const emapLast = (emap: Init): Init[] => [tensor('w', 'float32', [1], [1]), emap];

  it('a recognizer (one 112×112 input)', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(sharedDir, 'models/mobilefacenet.onnx')));
    await assert.rejects(INSwapper.create(bytes, { backend: 'cpu' }), (e: unknown) => e instanceof ModelContractError && /has 1 input\(s\); INSwapper takes 2/.test(e.message));
  });

  it('inputs of the wrong shape', () => {
    refused(swapModel({ inputs: [valueInfo('target', DT.FLOAT, [1, 3, 112, 112]), valueInfo('source', DT.FLOAT, [1, 512])] }), /first input 'target' is \[1, 3, 112, 112\]/);
    refused(swapModel({ inputs: [valueInfo('target', DT.FLOAT, [1, 3, 128, 128]), valueInfo('source', DT.FLOAT, [1, 128])] }), /second input 'source' is \[1, 128\]; INSwapper's is \[1, 512\]/);
  });

  it('a missing, mis-shaped, mistyped or broken emap', () => {
    refused(swapModel({ initializers: [] }), /no initializers, so no emap/);
    // The last initializer feeds a node: the file has no emap.
    refused(swapModel({ initializers: [tensor('emap', 'float32', [512, 512], identity512()), tensor('bias', 'float32', [1], [0])], nodes: [node('Add', ['target', 'bias'], ['output'])] }), /'bias' .* is used by node/);
    refused(swapModel({ initializers: emapLast(tensor('emap', 'float32', [512, 256], new Array(512 * 256).fill(0))) }), /is \[512, 256\], expected \[512, 512\]/);
    refused(swapModel({ initializers: emapLast(tensor('emap', 'int64', [512, 512], new Array(512 * 512).fill(0))) }), /is int64, expected float32/);
    const nan = identity512();
    nan[7] = Number.NaN;
    refused(swapModel({ initializers: emapLast(tensor('emap', 'float32', [512, 512], nan)) }), /non-finite value at index 7/);
  });
});

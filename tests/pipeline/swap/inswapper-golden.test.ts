/**
 * INSwapper against InsightFace's own output on t1.jpg with the width-128 replica (../shared/swap/golden_t1): the six
 * paste_back=False crops, `t1.one.png` (face 3 swapped) and `t1.all.png` (every face swapped in turn into one result).
 * The source is golden.json's normed embedding and the faces are its kps (sorted by bbox x): no detector is needed.
 *
 * Tolerance (issue 13): at least 99.5 % of values within ±1 of the golden, none more than 8 off. What remains comes
 * from the alignment transform: InsightFace's scikit-image estimates it in float32 (a float32 SVD), our closed form in
 * float64; the translations differ by up to 1e-4 px, which moves a few warp taps by 1/32 px, and the crop then
 * differs by ±1 in places, which the network and the paste-back carry on. Given InsightFace's own M the paste-back of
 * face 3 is exact (checked below).
 *
 * Each distinct network input runs once (memoized): the all-faces pass reuses the crops' runs when its crops are
 * the same, which they are on t1 (the faces' crops do not overlap). Our engine runs the replica in ~0.8 s a call on
 * this 2-core box, so the file runs 6 calls of ours and 6 of onnxruntime-node's (~80 ms each).
 *
 * onnxruntime-node's output isolates our arithmetic from our engine: given InsightFace's own M, the crops are within
 * ±1 and face 3's paste-back is exact. While our engine lacks an op of the replica (UnsupportedOpError only), its
 * cases are todo and the three comparisons run on onnxruntime-node's output instead, so the arithmetic stays tested.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it, before, after, type TestContext } from 'node:test';
import * as ort from 'onnxruntime-node';
import { UnsupportedOpError } from '../../../src/core/errors.js';
import { parseModel } from '../../../src/parser/decode-model.js';
import type { Affine2x3 } from '../../../src/pipeline/affine.js';
import { decodeImageNode } from '../../../src/pipeline/decode-node.js';
import type { BgrImage } from '../../../src/pipeline/image.js';
import { writeBlob } from '../../../src/pipeline/preprocess/blob.js';
import { warpAffine } from '../../../src/pipeline/preprocess/warp-affine.js';
import { INSwapper, outputToBgr, type SwapNetwork } from '../../../src/pipeline/swap/inswapper.js';
import { pasteBack } from '../../../src/pipeline/swap/paste-back.js';
import { InferenceSession } from '../../../src/session/session.js';
import { compareImages, describe as describeDiff, memoized, readGoldenImage, readSwapGolden, replicaPath, t1Path, type Comparison } from './golden-swap.js';

/** Issue 13's bound: share of values within ±1 of InsightFace's output. */
const MIN_WITHIN_1 = 0.995;
/** Issue 13's bound: no value further off than this. */
const MAX_DIFF = 8;

const golden = readSwapGolden();
const bytes = new Uint8Array(readFileSync(replicaPath));

/** Why values differ at all, printed beside every comparison. */
const REMAINDER = 'remaining differences: InsightFace\'s float32 scikit-image M vs our float64 one (≤ 1e-4 px), see the header';

function holds(t: TestContext, what: string, c: Comparison): void {
  t.diagnostic(`${what}: ${describeDiff(c)}${c.maxDiff > 0 ? `; ${REMAINDER}` : ''}`);
  assert.ok(c.within1 >= MIN_WITHIN_1, `${what}: ${describeDiff(c)}`);
  assert.ok(c.maxDiff <= MAX_DIFF, `${what}: ${describeDiff(c)}`);
}

/** The golden's three comparisons for one swapper. */
function goldenCases(label: string, swapperOf: () => INSwapper, runs: () => number): void {
  let image: BgrImage;
  before(async () => { image = await decodeImageNode(t1Path); });

  it(`${label}: every paste_back=False crop (t1.faceJ.png)`, async (t) => {
    for (const face of golden.faces) {
      const { crop } = await swapperOf().get(image, face, golden.sourceNormedEmbedding, { pasteBack: false });
      holds(t, face.crop, compareImages(crop, await readGoldenImage(face.crop)));
    }
  });

  it(`${label}: face ${golden.oneIndex} swapped into the photo (t1.one.png)`, async (t) => {
    const one = await swapperOf().get(image, golden.faces[golden.oneIndex]!, golden.sourceNormedEmbedding);
    holds(t, golden.one, compareImages(one, await readGoldenImage(golden.one)));
  });

  it(`${label}: every face swapped in turn into one result (t1.all.png)`, async (t) => {
    let result = image;
    for (const face of golden.faces) result = await swapperOf().get(result, face, golden.sourceNormedEmbedding);
    holds(t, golden.all, compareImages(result, await readGoldenImage(golden.all)));
    t.diagnostic(`network runs so far: ${runs()} (one per face; the rest came from the cache)`);
  });
}

/** Our engine on the replica, or the missing op's message (any other failure to load is a real failure). */
async function ourEngine(): Promise<{ session: InferenceSession } | { missing: string }> {
  try {
    return { session: await InferenceSession.create(bytes, { backend: 'cpu' }) };
  } catch (error) {
    if (!(error instanceof UnsupportedOpError)) throw error;
    return { missing: error.message };
  }
}

const ours = await ourEngine();

describe('INSwapper on the replica through our own InferenceSession (cpu backend)', () => {
  if ('missing' in ours) {
    it('our engine runs the replica', { todo: `waits for an op: ${ours.missing}` }, () => { assert.fail(ours.missing); });
    return;
  }
  const { session } = ours;
  // fromSession checks the model and reads emap as create does; the memo sits between it and the session.
  const checked = INSwapper.fromSession(session);
  const network = memoized((target, latent) => runSession(session, target, latent));
  const swapper = INSwapper.withNetwork(session.model.graph, network);
  after(() => checked.release());
  goldenCases('our engine', () => swapper, () => network.runs());
});

describe('INSwapper arithmetic on onnxruntime-node\'s network output (pre-processing, latent, truncation, paste-back)', () => {
  let session: ort.InferenceSession;
  let network: ReturnType<typeof memoized>;
  let swapper: INSwapper;
  before(async () => {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const run: SwapNetwork = async (target, latent) => {
      const out = await session.run({ target: new ort.Tensor('float32', target, [1, 3, 128, 128]), source: new ort.Tensor('float32', latent, [1, 512]) });
      return out['output']!.data as Float32Array;
    };
    network = memoized(run);
    swapper = INSwapper.withNetwork(parseModel(bytes).graph, network);
  });
  after(async () => { await session.release(); });

  it('ORT network: with InsightFace\'s own M, the crops are within ±1 and face 3\'s paste-back is exact', async (t) => {
    const image = await decodeImageNode(t1Path);
    const latent = swapper.latent(golden.sourceNormedEmbedding);
    for (const [j, face] of golden.faces.entries()) {
      const M = face.M as unknown as Affine2x3;
      const blob = new Float32Array(3 * 128 * 128);
      writeBlob(warpAffine(image, M, 128, 128), { mean: 0, std: 255 }, blob, 0);
      const crop = outputToBgr(await network(blob, latent));
      const c = compareImages(crop, await readGoldenImage(face.crop));
      t.diagnostic(`${face.crop} with golden M: ${describeDiff(c)}`);
      // ±1: onnxruntime-node and InsightFace's Python onnxruntime may round the last float bit differently.
      assert.ok(c.maxDiff <= 1, describeDiff(c));
      if (j === golden.oneIndex) {
        const one = compareImages(pasteBack(image, crop, M), await readGoldenImage(golden.one));
        t.diagnostic(`${golden.one} with golden M: ${describeDiff(one)}`);
        // Exact when the crop is (as on the machine this was written on); otherwise the crop's ±1 carries through.
        assert.ok(c.maxDiff > 0 || one.maxDiff === 0, describeDiff(one));
      }
    }
  });

  // The full comparisons on ORT's output, only while our engine cannot run the replica.
  if ('missing' in ours) goldenCases('ORT network (stands in for our engine)', () => swapper, () => network.runs());
});

async function runSession(session: InferenceSession, target: Float32Array, latent: Float32Array): Promise<Float32Array> {
  const [t, l] = session.inputNames as [string, string];
  const out = await session.run({ [t]: { type: 'float32', dims: [1, 3, 128, 128], data: target }, [l]: { type: 'float32', dims: [1, 512], data: latent } });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

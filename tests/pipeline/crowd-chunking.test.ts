/**
 * A crowd's faces go through a dynamic-batch head in chunks (FaceAnalysisOptions.headBatch), and the results are
 * the same as one batch's: t1.jpg's six faces through the forged w600k_r50 (dynamic batch) in chunks of 4 and 2
 * against one batch of 6, on the CPU backend. The real case is a random-weight detector's 369 "faces" on t1.jpg,
 * which ran as one batch and hit the tensor size limit; it takes minutes on the CPU, so this checks the chunking
 * with a small chunk size instead.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ensureReplicas } from '../../models/forge/cache.js';
import { FaceAnalysis, loadImage } from '../../src/pipeline/index.js';
import { sharedPath } from './helpers.js';

const pack = mkdtempSync(path.join(tmpdir(), 'insightgpu-crowd-'));
copyFileSync(sharedPath('models', 'scrfd_2.5g_bnkps.onnx'), path.join(pack, 'scrfd_2.5g_bnkps.onnx'));
copyFileSync((await ensureReplicas(['w600k_r50'])).w600k_r50, path.join(pack, 'w600k_r50.onnx'));

async function embeddings(headBatch: number | undefined): Promise<Float32Array[]> {
  const app = await FaceAnalysis.create({ models: pack, backend: 'cpu', ...(headBatch === undefined ? {} : { headBatch }) });
  try {
    app.prepare({ detSize: [640, 640] });
    const faces = await app.get(await loadImage(sharedPath('images', 't1.jpg')));
    return faces.map((f) => f.embedding!);
  } finally {
    await app.release();
  }
}

describe('a crowd in chunks', () => {
  it('gives the same embeddings in chunks of 4 as in one batch', async () => {
    const whole = await embeddings(undefined);
    const chunked = await embeddings(4);
    assert.equal(whole.length, 6);
    // Bit-identical: every layer works per crop, so a crop's arithmetic does not depend on its batch neighbours.
    assert.deepEqual(chunked.map((e) => Array.from(e)), whole.map((e) => Array.from(e)));
  });
});
